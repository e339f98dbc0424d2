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
 * Prices in euros beside dollars, through the API, the workflow and the Stripe emulator: an admin prices
 * professional in EUR, a visitor whose browser prefers German sees it in euros, a customer checks out in
 * EUR with a fixed-euro coupon, Stripe bills euros, the customer's currency is fixed from then on, and the
 * revenue report sums both currencies at the rate an admin set.
 */
describe('several currencies, end to end', () => {
  let stack: FullStack;
  let db: Awaited<ReturnType<typeof openTestDatabase>>;
  let idp: TestIdp;
  let emulator: StripeEmulator;
  let stripe: Stripe;
  let api: TestApi;
  let admin: string;

  beforeAll(async () => {
    stack = await startFullStack({ taskQueue: 'e2e-currencies' });
    ({ db, idp, emulator, stripe, api } = stack);
    admin = await idp.token({ sub: 'kc-admin', email: 'admin@example.com', roles: ['admin'] });
    const priced = await api.request('PUT', '/api/v1/subscriptions/plans/professional', {
      token: admin,
      body: {
        currency_prices: {
          eur: { price_monthly_cents: 4500, price_yearly_cents: 45000, overage_price_per_1k_cents: 9 },
        },
      },
    });
    expect(priced.status).toBe(200);
    expect(priced.body.currencies).toEqual(['usd', 'eur']);
    const coupon = await api.request('POST', '/api/v1/admin/billing/coupons', {
      token: admin,
      body: { id: 'five-euro', name: 'Five euros', amount_off: { eur: 500 }, duration: 'once' },
    });
    expect(coupon.status).toBe(201);
    const code = await api.request('POST', '/api/v1/admin/billing/promotion-codes', {
      token: admin,
      body: { coupon_id: 'five-euro', code: 'FUENF' },
    });
    expect(code.status).toBe(201);
    await syncCatalog(stripe, db.orm);
  });
  afterAll(() => stack?.stop());

  const onClock = (name: string) => customerOnClock(stack, name);
  const checkout = (token: string, body: Record<string, unknown>) =>
    api.request('POST', '/api/v1/billing/checkout/create', {
      token,
      body: { tier_id: 'professional', ...body },
    });

  it('lists plans in the currency the caller asks for or their browser prefers', async () => {
    const german = await api.request('GET', '/api/v1/subscriptions/plans', {
      headers: { 'accept-language': 'de-DE,de;q=0.9,en;q=0.5' },
    });
    expect(german.status).toBe(200);
    // Only professional is sold in euros.
    expect(german.body.map((p: { id: string }) => p.id)).toEqual(['professional']);
    expect(german.body[0]).toMatchObject({
      currency: 'eur',
      price_monthly_cents: 4500,
      price_yearly_cents: 45000,
      overage_price_per_1k_cents: 9,
      currencies: ['usd', 'eur'],
    });
    const asked = await api.request('GET', '/api/v1/subscriptions/plans/professional?currency=USD', {
      headers: { 'accept-language': 'de-DE' },
    });
    expect(asked.body).toMatchObject({ currency: 'usd', price_monthly_cents: 4900 });
    const plain = await api.request('GET', '/api/v1/subscriptions/plans');
    expect(plain.body.length).toBeGreaterThan(1);
    expect(plain.body.every((p: { currency: string }) => p.currency === 'usd')).toBe(true);
    for (const bad of ['jpy', 'e%00ur', 'x'.repeat(9)]) {
      const refused = await api.request('GET', `/api/v1/subscriptions/plans?currency=${bad}`);
      expect(refused.status).toBe(400);
      expect(refused.body.error).toMatchObject({ details: { field: 'query.currency' } });
    }
  });

  it('bills a euro checkout in euros, with a fixed-euro coupon, and fixes the customer to euros', async () => {
    const { clock, stripeCustomer, token, getSub } = await onClock('eva-eur');
    const started = await checkout(token, { currency: 'eur', promotion_code: 'FUENF' });
    expect(started.status).toBe(200);
    emulator.completeCheckoutSession(started.body.session_id, { cardNumber: '4242424242424242' });
    const active = await eventually(getSub, (r) => r.body?.status === 'active', 'the euro subscription');
    expect(active.body).toMatchObject({ currency: 'eur', amount_cents: 4500 });

    // The first invoice: €45.00 less €5.00; the renewal bills the full €45.00.
    await stripe.testHelpers.testClocks.advance(clock.id, {
      frozen_time: Math.floor(Date.parse(active.body.current_period_end) / 1000) + DAY,
    });
    await eventually(
      getSub,
      (r) => Date.parse(r.body?.current_period_end) > Date.parse(active.body.current_period_end),
      'the renewal',
    );
    const invoices = (await stripe.invoices.list({ customer: stripeCustomer.id, limit: 10 })).data.reverse();
    expect(invoices.map((i) => [i.currency, i.subtotal, i.total])).toEqual([
      ['eur', 4500, 4000],
      ['eur', 4500, 4500],
    ]);
    const listed = await eventually(
      () => api.request('GET', '/api/v1/billing/invoices', { token }),
      (r) => (r.body?.invoices ?? r.body)?.length === 2,
      'both invoices in the mirror',
    );
    const mine = (listed.body.invoices ?? listed.body) as { currency: string; total_cents: number }[];
    expect(mine.map((i) => [i.currency, i.total_cents]).sort()).toEqual([
      ['eur', 4000],
      ['eur', 4500],
    ]);

    // From now on the account sees and pays euros only.
    const plans = await api.request('GET', '/api/v1/subscriptions/plans?currency=usd', { token });
    expect(plans.body[0]).toMatchObject({ id: 'professional', currency: 'eur' });
    const preview = await api.request('POST', '/api/v1/billing/subscription/upgrade', {
      token,
      body: { new_tier_id: 'professional', billing_cycle: 'yearly', preview: true },
    });
    expect(preview.status).toBe(200);
    expect(preview.body).toMatchObject({ next_amount_cents: 45000 });
    const canceled = await api.request('POST', '/api/v1/billing/subscription/cancel', {
      token,
      body: { at_period_end: false },
    });
    expect(canceled.status).toBe(200);
    await eventually(
      getSub,
      (r) => r.body?.status === 'canceled' || r.body?.tier === 'free',
      'the cancellation',
    );
    const inDollars = await checkout(token, { currency: 'usd' });
    expect(inDollars.status).toBe(409);
    expect(inDollars.body.error).toMatchObject({
      code: 'currency_fixed',
      details: { field: 'body.currency', currency: 'eur' },
    });
    // A plan not sold in euros cannot be bought by a euro customer.
    const starter = await checkout(token, { tier_id: 'starter' });
    expect(starter.status).toBe(400);
    expect(starter.body.error).toMatchObject({
      code: 'plan_not_in_currency',
      details: { field: 'body.tier_id' },
    });
  });

  it('checks a promotion code typed with a plan change in the subscription’s currency, not the plan’s', async () => {
    const { stripeCustomer, token, getSub } = await onClock('ute-eur');
    const started = await checkout(token, { currency: 'eur' });
    expect(started.status).toBe(200);
    emulator.completeCheckoutSession(started.body.session_id, { cardNumber: '4242424242424242' });
    await eventually(getSub, (r) => r.body?.status === 'active', 'the euro subscription');
    // FUENF has an amount in euros only: checked in professional's own dollars it would be refused.
    const changed = await api.request('POST', '/api/v1/billing/subscription/upgrade', {
      token,
      body: { new_tier_id: 'professional', billing_cycle: 'yearly', when: 'now', promotion_code: 'FUENF' },
    });
    expect({ status: changed.status, error: changed.body.error?.code }).toEqual({
      status: 200,
      error: undefined,
    });
    await eventually(
      getSub,
      (r) => r.body?.interval === 'year' && r.body.amount_cents === 45000,
      'the yearly euro price',
    );
    // The proration invoice is in euros, €5.00 off.
    const [proration] = (await stripe.invoices.list({ customer: stripeCustomer.id, limit: 1 })).data;
    expect([proration?.currency, proration!.subtotal - proration!.total]).toEqual(['eur', 500]);
    // Ended, so the revenue below counts its own subscribers only.
    const canceled = await api.request('POST', '/api/v1/billing/subscription/cancel', {
      token,
      body: { at_period_end: false },
    });
    expect(canceled.status).toBe(200);
    await eventually(getSub, (r) => r.body?.status === 'canceled' || r.body?.tier === 'free', 'the end');
  });

  it('reports revenue per currency and their sum at the rate an admin set', async () => {
    const dollars = await onClock('dan-usd');
    const started = await checkout(dollars.token, {});
    emulator.completeCheckoutSession(started.body.session_id, { cardNumber: '4242424242424242' });
    await eventually(dollars.getSub, (r) => r.body?.status === 'active', 'the dollar subscription');
    const euros = await onClock('emil-eur');
    const eurStarted = await checkout(euros.token, { currency: 'eur' });
    emulator.completeCheckoutSession(eurStarted.body.session_id, { cardNumber: '4242424242424242' });
    await eventually(euros.getSub, (r) => r.body?.status === 'active', 'the euro subscription');

    const refused = await api.request('PUT', '/api/v1/admin/billing/exchange-rates', {
      token: admin,
      body: { reporting_currency: 'usd', rates: { eur: '-1' } },
    });
    expect(refused.status).toBe(400);
    expect(refused.body.error).toMatchObject({
      code: 'invalid_exchange_rate',
      details: { field: 'rates.eur' },
    });
    // Two first saves at once both succeed; either may be the one kept, so the one that counts comes after.
    const racing = await Promise.all(
      ['1.07', '1.09'].map((eur) =>
        api.request('PUT', '/api/v1/admin/billing/exchange-rates', {
          token: admin,
          body: { reporting_currency: 'usd', rates: { eur } },
        }),
      ),
    );
    expect(racing.map((r) => r.status)).toEqual([200, 200]);
    const set = await api.request('PUT', '/api/v1/admin/billing/exchange-rates', {
      token: admin,
      body: { reporting_currency: 'usd', rates: { eur: '1.0800' } },
    });
    expect(set.status).toBe(200);
    expect(set.body).toMatchObject({ reporting_currency: 'usd', rates: { eur: '1.08' } });

    const report = await api.request('GET', '/api/v1/admin/revenue/reporting', { token: admin });
    expect(report.status).toBe(200);
    const eur = report.body.by_currency.find((c: { currency: string }) => c.currency === 'eur');
    const usd = report.body.by_currency.find((c: { currency: string }) => c.currency === 'usd');
    // One euro subscriber on €45.00 a month (the other canceled), one dollar subscriber on $49.00.
    expect(eur).toMatchObject({ rate: '1.08', mrr_cents: 4500, converted: { mrr_cents: 4860 } });
    expect(usd).toMatchObject({ rate: '1', mrr_cents: 4900, converted: { mrr_cents: 4900 } });
    expect(report.body.total.mrr_cents).toBe(4860 + 4900);
    expect(report.body.missing_rates).toEqual([]);
    // A viewer reads no revenue.
    const viewer = await api.request('GET', '/api/v1/admin/revenue/reporting', { token: euros.token });
    expect(viewer.status).toBe(403);
  });

  it('sells a credit pack in the customer’s own currency', async () => {
    const made = await api.request('POST', '/api/v1/admin/billing/credit-packs', {
      token: admin,
      body: {
        code: 'boost',
        name: 'Boost',
        credits: 10_000,
        price_cents: 2000,
        currency_prices: { eur: 1800 },
      },
    });
    expect(made.status).toBe(201);
    const { token } = await onClock('edda-eur');
    const started = await checkout(token, { currency: 'eur' });
    emulator.completeCheckoutSession(started.body.session_id, { cardNumber: '4242424242424242' });
    await eventually(
      () => api.request('GET', '/api/v1/billing/subscription', { token }),
      (r) => r.body?.status === 'active',
      'the euro subscription',
    );
    const packs = await api.request('GET', '/api/v1/plans/credit-packs', { token });
    expect(packs.body.packs.find((p: { code: string }) => p.code === 'boost')).toMatchObject({
      currency: 'eur',
      price_cents: 1800,
    });
    const bought = await api.request('POST', '/api/v1/billing/credits/purchase', {
      token,
      body: { pack_id: made.body.id },
    });
    expect(bought.status).toBe(200);
    const session = await stripe.checkout.sessions.retrieve(bought.body.session_id);
    expect([session.currency, session.amount_total]).toEqual(['eur', 1800]);
  });
});
