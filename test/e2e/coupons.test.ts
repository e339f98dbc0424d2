import type Stripe from 'stripe';
import { syncCatalog } from '../../integrations/stripe/catalog-sync';
import type { StripeEmulator } from '../../tools/stripe-emulator';
import type { TestApi } from '../helpers/api';
import type { TestIdp } from '../helpers/auth';
import type { openTestDatabase } from '../helpers/db';
import { waitUntil } from '../helpers/eventually';
import { customerOnClock, startFullStack, type FullStack } from '../helpers/full-stack';

jest.setTimeout(180_000);

const eventually = <T>(read: () => Promise<T>, ok: (v: T) => boolean, what: string) =>
  waitUntil(read, ok, what, 20_000, 100);
const DAY = 24 * 60 * 60;

/**
 * Coupons and promotion codes through the API, the workflow and the Stripe emulator: admins offer them,
 * customers type a code at checkout, Stripe discounts the invoices the coupon covers and the engine shows
 * the discount on the subscription and every invoice.
 */
describe('coupons and promotion codes, end to end', () => {
  let stack: FullStack;
  let db: Awaited<ReturnType<typeof openTestDatabase>>;
  let idp: TestIdp;
  let emulator: StripeEmulator;
  let stripe: Stripe;
  let api: TestApi;
  let admin: string;

  beforeAll(async () => {
    stack = await startFullStack({ taskQueue: 'e2e-coupons' });
    ({ db, idp, emulator, stripe, api } = stack);
    admin = await idp.token({ sub: 'kc-admin', email: 'admin@example.com', roles: ['admin'] });
  });
  afterAll(() => stack?.stop());

  async function offer(coupon: Record<string, unknown>, code: Record<string, unknown>) {
    const made = await api.request('POST', '/api/v1/admin/billing/coupons', { token: admin, body: coupon });
    expect(made.status).toBe(201);
    const promo = await api.request('POST', '/api/v1/admin/billing/promotion-codes', {
      token: admin,
      body: { coupon_id: coupon.id, ...code },
    });
    expect(promo.status).toBe(201);
    // The catalog sync brings both to Stripe (a workflow does it too; here it runs at once).
    await syncCatalog(stripe, db.orm);
    return promo.body;
  }

  const onClock = (name: string) => customerOnClock(stack, name);

  const checkout = (token: string, tier: string, code?: string) =>
    api.request('POST', '/api/v1/billing/checkout/create', {
      token,
      body: { tier_id: tier, ...(code ? { promotion_code: code } : {}) },
    });

  it('takes 20 % off three monthly invoices of professional, then bills the full price', async () => {
    await offer(
      {
        id: 'launch20',
        name: 'Launch',
        percent_off: 20,
        duration: 'repeating',
        duration_in_months: 3,
        plans: ['professional'],
      },
      { code: 'LAUNCH20' },
    );
    const { clock, stripeCustomer, token, getSub } = await onClock('ann-coupon');
    // Codes are typed any case, with spaces around.
    const started = await checkout(token, 'professional', ' launch20 ');
    expect(started.status).toBe(200);
    emulator.completeCheckoutSession(started.body.session_id, { cardNumber: '4242424242424242' });
    const active = await eventually(
      getSub,
      (r) => r.body?.status === 'active' && r.body.discount !== null,
      'the discounted subscription',
    );
    expect(active.body.discount).toMatchObject({
      coupon_id: 'launch20',
      coupon_name: 'Launch',
      percent_off: 20,
      amount_off_cents: null,
    });
    expect(Date.parse(active.body.discount.end)).toBeGreaterThan(Date.parse(active.body.current_period_end));
    // Recurring revenue is net of the coupon while it lasts: $49.00 less 20 % is $39.20 of MRR, and the
    // first invoice's $9.80 off is what the discount cost in the last 30 days. (The mirror wrote the
    // subscription's recurring amount with the discount the answer above shows.)
    await eventually(
      () => api.request('GET', '/api/v1/billing/invoices', { token }),
      (r) => (r.body?.invoices ?? r.body)?.some((i: { paid: boolean }) => i.paid),
      'the first invoice paid in the mirror',
    );
    const discounted = await api.request('GET', '/api/v1/admin/revenue', { token: admin });
    expect(discounted.body).toMatchObject({ mrr_cents: 3920, arr_cents: 47040, discounts_30d_cents: 980 });

    // Three renewals on the test clock: four invoices in all.
    let periodEnd = Date.parse(active.body.current_period_end);
    for (let i = 0; i < 3; i++) {
      await stripe.testHelpers.testClocks.advance(clock.id, {
        frozen_time: Math.floor(periodEnd / 1000) + DAY,
      });
      const renewed = await eventually(
        getSub,
        (r) => Date.parse(r.body?.current_period_end) > periodEnd,
        'a renewal',
      );
      periodEnd = Date.parse(renewed.body.current_period_end);
    }
    // The coupon has ended: MRR is the full price again. (Asked for this month by name: the figures of
    // the same question are served again for 15 s.)
    const month = new Date().toISOString().slice(0, 7);
    const full = await api.request('GET', `/api/v1/admin/revenue?month=${month}`, { token: admin });
    expect(full.body).toMatchObject({ mrr_cents: 4900, arr_cents: 58800 });
    const invoices = (await stripe.invoices.list({ customer: stripeCustomer.id, limit: 10 })).data.reverse();
    // $49.00 less 20 % = $39.20 while the coupon lasts (three months from checkout), then $49.00.
    expect(invoices.map((i) => [i.subtotal, i.total])).toEqual([
      [4900, 3920],
      [4900, 3920],
      [4900, 3920],
      [4900, 4900],
    ]);
    const listed = await eventually(
      () => api.request('GET', '/api/v1/billing/invoices', { token }),
      (r) => (r.body?.invoices ?? r.body)?.length === 4,
      'four invoices in the mirror',
    );
    const mine = (listed.body.invoices ?? listed.body) as { total_cents: number; discount_cents: number }[];
    expect(mine.map((i) => [i.total_cents, i.discount_cents])).toEqual([
      [4900, 0],
      [3920, 980],
      [3920, 980],
      [3920, 980],
    ]);
    const coupons = await api.request('GET', '/api/v1/admin/billing/coupons', { token: admin });
    const launch = coupons.body.coupons.find((c: { id: string }) => c.id === 'launch20');
    expect(launch).toMatchObject({ terms: '20 % off, for 3 months', redemptions: 1, in_stripe: true });
    expect(launch.promotion_codes[0]).toMatchObject({ code: 'LAUNCH20', redemptions: 1 });
  });

  it('refuses a code with the reason as a stable code, and nothing is started', async () => {
    await offer(
      { id: 'once5', name: 'Five off', amount_off: { usd: 500 }, duration: 'once' },
      { code: 'ONLYONE', max_redemptions: 1 },
    );
    await offer(
      { id: 'old', name: 'Old', percent_off: 50, duration: 'once' },
      { code: 'EXPIRED', expires_at: new Date(Date.now() - 60_000).toISOString() },
    );
    await offer(
      { id: 'startonly', name: 'Starter only', percent_off: 10, duration: 'forever', plans: ['starter'] },
      { code: 'STARTER10' },
    );
    const first = await onClock('bo-coupon');
    const used = await checkout(first.token, 'professional', 'ONLYONE');
    expect(used.status).toBe(200);
    emulator.completeCheckoutSession(used.body.session_id, { cardNumber: '4242424242424242' });
    // A `once` discount leaves the subscription with its first invoice: the invoice tells the mirror.
    await eventually(
      () => api.request('GET', '/api/v1/admin/billing/coupons', { token: admin }),
      (r) => r.body?.coupons?.find((c: { id: string }) => c.id === 'once5')?.redemptions === 1,
      'the first redemption',
    );

    const second = await onClock('cy-coupon');
    for (const [code, reason] of [
      ['ONLYONE', 'promotion_code_used_up'],
      ['EXPIRED', 'promotion_code_expired'],
      ['STARTER10', 'coupon_not_for_plan'],
      ['NOSUCHCODE', 'promotion_code_unknown'],
    ]) {
      const refused = await checkout(second.token, 'professional', code);
      expect({ code, status: refused.status, error: refused.body.error?.code }).toEqual({
        code,
        status: 400,
        error: reason,
      });
      expect(refused.body.error.details.field).toBe('body.promotion_code');
    }
    const hostile = await checkout(second.token, 'professional', 'x\u0000y');
    expect(hostile.status).toBe(400);
    expect((await second.getSub()).body.status).toBe('none');
  });

  it('discounts the prorations of an upgrade made under a forever coupon', async () => {
    await offer(
      { id: 'forever10', name: 'Ten for ever', percent_off: 10, duration: 'forever' },
      { code: 'FOREVER10' },
    );
    const { clock, stripeCustomer, token, getSub } = await onClock('di-coupon');
    const started = await checkout(token, 'starter', 'FOREVER10');
    emulator.completeCheckoutSession(started.body.session_id, { cardNumber: '4242424242424242' });
    const active = await eventually(getSub, (r) => r.body?.status === 'active', 'the starter subscription');
    // Half way through the month the customer upgrades at once: Stripe prorates, the coupon applies.
    const half =
      (Date.parse(active.body.current_period_start) + Date.parse(active.body.current_period_end)) / 2;
    await stripe.testHelpers.testClocks.advance(clock.id, { frozen_time: Math.floor(half / 1000) });
    // The preview takes the coupon's share of both lines, the credit too, as Stripe will.
    const preview = await api.request('POST', '/api/v1/billing/subscription/upgrade', {
      token,
      body: { new_tier_id: 'professional', billing_cycle: 'monthly', when: 'now', preview: true },
    });
    expect(preview.status).toBe(200);
    const tenth = (cents: number) => Math.sign(cents) * Math.round(Math.abs(cents) / 10);
    expect(preview.body.discount_cents).toBe(
      tenth(preview.body.credit_cents) + tenth(preview.body.charge_cents),
    );
    expect(preview.body.discount_cents).toBeGreaterThan(0);
    expect(preview.body.amount_due_now_cents).toBe(
      preview.body.credit_cents + preview.body.charge_cents - preview.body.discount_cents,
    );
    const upgraded = await api.request('POST', '/api/v1/billing/subscription/upgrade', {
      token,
      body: { new_tier_id: 'professional', billing_cycle: 'monthly', when: 'now' },
    });
    expect(upgraded.status).toBe(200);
    await eventually(getSub, (r) => r.body?.tier === 'professional', 'the upgrade');
    const invoices = (await stripe.invoices.list({ customer: stripeCustomer.id, limit: 10 })).data;
    const proration = invoices.find((i) =>
      i.lines.data.some(
        (l) => l.parent?.subscription_item_details?.proration || l.parent?.invoice_item_details?.proration,
      ),
    );
    expect(proration).toBeDefined();
    const lines = proration!.lines.data;
    // Each line, the credit for unused starter time too, is 10 % off, rounded half away from zero.
    for (const l of lines) {
      const off = Math.sign(l.amount) * Math.round(Math.abs(l.amount) / 10);
      expect(l.discount_amounts).toEqual([{ amount: off, discount: expect.any(String) }]);
    }
    const off = lines.reduce((s, l) => s + Math.sign(l.amount) * Math.round(Math.abs(l.amount) / 10), 0);
    expect(proration!.total).toBe(proration!.subtotal - off);
    expect(off).toBeGreaterThan(0);
  });

  it('takes a code with an upgrade made now, discounting its prorations, and refuses one with a scheduled change', async () => {
    await offer(
      { id: 'upgrade15', name: 'Upgrade', percent_off: 15, duration: 'once', plans: ['professional'] },
      { code: 'UPG15' },
    );
    const { clock, stripeCustomer, token, getSub } = await onClock('fay-coupon');
    const started = await checkout(token, 'starter');
    emulator.completeCheckoutSession(started.body.session_id, { cardNumber: '4242424242424242' });
    const active = await eventually(getSub, (r) => r.body?.status === 'active', 'the starter subscription');
    const third =
      Date.parse(active.body.current_period_start) +
      (Date.parse(active.body.current_period_end) - Date.parse(active.body.current_period_start)) / 3;
    await stripe.testHelpers.testClocks.advance(clock.id, { frozen_time: Math.floor(third / 1000) });
    const later = await api.request('POST', '/api/v1/billing/subscription/upgrade', {
      token,
      body: {
        new_tier_id: 'professional',
        billing_cycle: 'monthly',
        when: 'period_end',
        promotion_code: 'UPG15',
      },
    });
    expect(later.status).toBe(400);
    expect(later.body.error).toMatchObject({
      code: 'promotion_code_needs_change_now',
      details: { field: 'body.promotion_code' },
    });
    const now = await api.request('POST', '/api/v1/billing/subscription/upgrade', {
      token,
      body: { new_tier_id: 'professional', billing_cycle: 'monthly', when: 'now', promotion_code: 'upg15' },
    });
    expect(now.status).toBe(200);
    await eventually(getSub, (r) => r.body?.tier === 'professional', 'the upgrade');
    const [proration] = (await stripe.invoices.list({ customer: stripeCustomer.id, limit: 1 })).data;
    // The coupon is for professional only (Stripe has it as applies_to): 15 % of the professional line,
    // the credit for unused starter time stays whole.
    const off = proration!.lines.data
      .filter((l) => l.amount > 0)
      .reduce((sum, l) => sum + Math.round((l.amount * 15) / 100), 0);
    expect(off).toBeGreaterThan(0);
    expect([proration!.subtotal - proration!.total]).toEqual([off]);
    await eventually(
      () => api.request('GET', '/api/v1/admin/billing/coupons', { token: admin }),
      (r) => r.body?.coupons?.find((c: { id: string }) => c.id === 'upgrade15')?.redemptions === 1,
      'the redemption of the upgrade code',
    );
  });
  it('refuses a change onto a plan the subscription’s coupon is not for, in the preview and the change, and a code for the new plan replaces it', async () => {
    await offer(
      { id: 'starter50', name: 'Starter half', percent_off: 50, duration: 'forever', plans: ['starter'] },
      { code: 'STARTER50' },
    );
    await offer(
      { id: 'ent10', name: 'Enterprise ten', percent_off: 10, duration: 'once', plans: ['enterprise'] },
      { code: 'ENT10' },
    );
    // Stripe holds the restriction too: it discounts only the starter product's lines.
    const products = (await stripe.products.list({ limit: 100 })).data;
    const productOf = (plan: string) => products.find((p) => p.metadata['plan_code'] === plan)?.id;
    const inStripe = await stripe.coupons.retrieve('starter50', { expand: ['applies_to'] });
    expect(inStripe.applies_to?.products).toEqual([productOf('starter')]);

    const { clock, stripeCustomer, token, getSub } = await onClock('gus-coupon');
    const started = await checkout(token, 'starter', 'STARTER50');
    expect(started.status).toBe(200);
    emulator.completeCheckoutSession(started.body.session_id, { cardNumber: '4242424242424242' });
    const active = await eventually(
      getSub,
      (r) => r.body?.status === 'active' && r.body.discount?.coupon_id === 'starter50',
      'the starter subscription at half price',
    );
    const upgrade = (body: Record<string, unknown>) =>
      api.request('POST', '/api/v1/billing/subscription/upgrade', {
        token,
        body: { new_tier_id: 'enterprise', billing_cycle: 'monthly', ...body },
      });
    for (const body of [
      { preview: true },
      { preview: true, when: 'period_end' },
      {},
      { when: 'now' },
      { when: 'period_end' },
    ]) {
      const refused = await upgrade(body);
      expect({ body, status: refused.status, error: refused.body.error?.code }).toEqual({
        body,
        status: 409,
        error: 'coupon_not_for_plan',
      });
      expect(refused.body.error.details.field).toBe('body.tier_id');
    }
    // Nothing changed: still starter at half price, nothing scheduled.
    expect((await getSub()).body).toMatchObject({
      tier: 'starter',
      pending_change: null,
      discount: { coupon_id: 'starter50' },
    });

    // A code for enterprise typed with a change made now replaces the starter coupon; the preview says
    // what it takes off (the enterprise line only: the coupon is not for the starter credit).
    const half =
      (Date.parse(active.body.current_period_start) + Date.parse(active.body.current_period_end)) / 2;
    await stripe.testHelpers.testClocks.advance(clock.id, { frozen_time: Math.floor(half / 1000) });
    const preview = await upgrade({ when: 'now', preview: true, promotion_code: 'ENT10' });
    expect(preview.status).toBe(200);
    expect(preview.body.discount_cents).toBe(Math.round(preview.body.charge_cents / 10));
    expect(preview.body.discount_cents).toBeGreaterThan(0);
    const changed = await upgrade({ when: 'now', promotion_code: 'ENT10' });
    expect(changed.status).toBe(200);
    await eventually(
      getSub,
      (r) => r.body?.tier === 'enterprise' && r.body.discount?.coupon_id !== 'starter50',
      'enterprise without the starter coupon',
    );
    const [proration] = (await stripe.invoices.list({ customer: stripeCustomer.id, limit: 1 })).data;
    const enterpriseLines = proration!.lines.data.filter((l) => l.amount > 0);
    const off = enterpriseLines.reduce((sum, l) => sum + Math.round(l.amount / 10), 0);
    expect(off).toBeGreaterThan(0);
    expect(proration!.subtotal - proration!.total).toBe(off);
  });
});

describe('an admin puts a coupon on a subscription and takes it off', () => {
  let stack: FullStack;
  let admin: string;

  beforeAll(async () => {
    stack = await startFullStack({ taskQueue: 'e2e-coupons-admin' });
    admin = await stack.idp.token({ sub: 'kc-admin', email: 'admin@example.com', roles: ['admin'] });
  });
  afterAll(() => stack?.stop());

  it('discounts the next renewal, refuses a coupon for another plan, stops when removed, and goes on and off again', async () => {
    const { api, stripe, emulator, db } = stack;
    for (const body of [
      { id: 'loyal25', name: 'Loyalty', percent_off: 25, duration: 'forever', plans: ['professional'] },
      { id: 'startonly', name: 'Starter only', percent_off: 10, duration: 'forever', plans: ['starter'] },
    ]) {
      expect(
        (await api.request('POST', '/api/v1/admin/billing/coupons', { token: admin, body })).status,
      ).toBe(201);
    }
    await syncCatalog(stripe, db.orm);
    const { clock, stripeCustomer, token, getSub } = await customerOnClock(stack, 'eve-coupon');
    const started = await api.request('POST', '/api/v1/billing/checkout/create', {
      token,
      body: { tier_id: 'professional' },
    });
    emulator.completeCheckoutSession(started.body.session_id, { cardNumber: '4242424242424242' });
    const active = await waitUntil(
      getSub,
      (r) => r.body?.status === 'active',
      'the subscription',
      20_000,
      100,
    );
    const path = '/api/v1/admin/billing/customers/eve-coupon@example.com/coupon';

    const wrong = await api.request('PUT', path, { token: admin, body: { coupon_id: 'startonly' } });
    expect(wrong.status).toBe(409);
    expect(wrong.body.error).toMatchObject({
      code: 'coupon_not_for_plan',
      details: { field: 'body.coupon_id' },
    });

    const applied = await api.request('PUT', path, { token: admin, body: { coupon_id: 'loyal25' } });
    expect(applied.status).toBe(200);
    expect(applied.body.discount).toMatchObject({ coupon_id: 'loyal25', percent_off: 25, end: null });
    // The coupon is for professional only: an admin's move to another plan is refused, preview and change.
    const who = 'eve-coupon%40example.com';
    const preview = await api.request(
      'GET',
      `/api/v1/admin/subscriptions/${who}/plan-change-preview?tier_id=enterprise`,
      { token: admin },
    );
    const moved = await api.request('PATCH', `/api/v1/admin/subscriptions/${who}`, {
      token: admin,
      body: { tier: 'enterprise', when: 'period_end' },
    });
    expect([preview, moved].map((r) => [r.status, r.body.error?.code, r.body.error?.details?.field])).toEqual(
      [
        [409, 'coupon_not_for_plan', 'query.tier_id'],
        [409, 'coupon_not_for_plan', 'body.tier_id'],
      ],
    );
    const periodEnd = Date.parse(active.body.current_period_end);
    await stripe.testHelpers.testClocks.advance(clock.id, {
      frozen_time: Math.floor(periodEnd / 1000) + DAY,
    });
    await waitUntil(
      getSub,
      (r) => Date.parse(r.body?.current_period_end) > periodEnd,
      'the renewal',
      20_000,
      100,
    );
    const [renewal] = (await stripe.invoices.list({ customer: stripeCustomer.id, limit: 1 })).data;
    // $49.00 less 25 % = $36.75.
    expect([renewal?.subtotal, renewal?.total]).toEqual([4900, 3675]);

    const removed = await api.request('DELETE', path, { token: admin });
    expect(removed.status).toBe(200);
    expect(removed.body.discount).toBeNull();
    // On again and off again: each a change of its own, none an earlier one's answer replayed.
    for (const [method, coupon] of [
      ['PUT', 'loyal25'],
      ['DELETE', null],
    ] as const) {
      const res = await api.request(method, path, {
        token: admin,
        ...(coupon ? { body: { coupon_id: coupon } } : {}),
      });
      expect(res.status).toBe(200);
      expect(res.body.discount?.coupon_id ?? null).toBe(coupon);
      const inStripe = await stripe.subscriptions.retrieve(active.body.stripe_subscription_id, {
        expand: ['discounts'],
      });
      const stripeCoupons = (inStripe.discounts ?? []).map((d) =>
        typeof d === 'string' ? d : (d.source?.coupon as { id?: string } | string | null),
      );
      expect(stripeCoupons.map((c) => (typeof c === 'string' ? c : c?.id))).toEqual(coupon ? [coupon] : []);
    }
    const audit = await api.request('GET', '/api/v1/admin/audit-log?entity_type=subscription', {
      token: admin,
    });
    const actions = audit.body.entries.map((e: { action: string }) => e.action);
    expect(actions).toEqual(
      expect.arrayContaining(['subscription.coupon_applied', 'subscription.coupon_removed']),
    );
  });
});
