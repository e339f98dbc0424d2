import type Stripe from 'stripe';
import { Customer, Plan } from '../../db/entities';
import { newId } from '../../db/ids';
import type { Dialect } from '../../db/orm';
import type { StripeEmulator } from '../../tools/stripe-emulator';
import { addInterval } from '../../tools/stripe-emulator/billing/periods';
import type { TestApi } from '../helpers/api';
import { startFullStack, type FullStack } from '../helpers/full-stack';
import type { TestIdp } from '../helpers/auth';
import { type openTestDatabase } from '../helpers/db';
import { waitUntil } from '../helpers/eventually';

const eventually = <T>(read: () => Promise<T>, ok: (v: T) => boolean, what: string, timeoutMs = 30_000) =>
  waitUntil(read, ok, what, timeoutMs, 200);

const WEBHOOK_SECRET = 'whsec_pending_change_test';
/** How far ahead the first period ends: room for checkout, the downgrade, cancel and resume. */
const LEAD_SECONDS = 45;

/**
 * A test-clock time whose billing period (monthly, or yearly where no month back lands on the target day)
 * ends at `target`: the workflow's period-end timer then fires in real time, seconds from now.
 */
function clockStartEndingAt(target: number): { frozen: number; cycle: 'monthly' | 'yearly' } {
  const d = new Date(target * 1000);
  const back = (months: number) =>
    Date.UTC(
      d.getUTCFullYear(),
      d.getUTCMonth() - months,
      d.getUTCDate(),
      d.getUTCHours(),
      d.getUTCMinutes(),
      d.getUTCSeconds(),
    ) / 1000;
  const month = back(1);
  if (addInterval(month, 'month', 1) === target) return { frozen: month, cycle: 'monthly' };
  const year = back(12);
  if (addInterval(year, 'year', 1) === target) return { frozen: year, cycle: 'yearly' };
  throw new Error(`no period ends at ${d.toISOString()}`);
}

describe.each<Dialect>(['sqlite', 'postgresql'])('pending plan changes on %s', (dialect) => {
  let stack: FullStack;
  let db: Awaited<ReturnType<typeof openTestDatabase>>;
  let idp: TestIdp;
  let emulator: StripeEmulator;
  let stripe: Stripe;
  let api: TestApi;

  beforeAll(async () => {
    stack = await startFullStack({
      taskQueue: `pending-change-${dialect}`,
      webhookSecret: WEBHOOK_SECRET,
      dialect,
    });
    ({ db, idp, emulator, stripe, api } = stack);
  });

  afterAll(() => stack?.stop());

  /** A paying professional subscriber on a Stripe test clock frozen at `frozen`. */
  async function professionalSubscriber(name: string, frozen: number, cycle: 'monthly' | 'yearly') {
    const clock = await stripe.testHelpers.testClocks.create({ frozen_time: frozen });
    const email = `${name}-${dialect}@example.com`;
    const stripeCustomer = await stripe.customers.create({ email, test_clock: clock.id });
    const em = db.orm.em.fork();
    em.create(Customer, {
      id: newId('cust'),
      userId: `kc-${name}-${dialect}`,
      email,
      stripeCustomerId: stripeCustomer.id,
    });
    await em.flush();
    const token = await idp.token({ sub: `kc-${name}-${dialect}`, email });
    const call = (method: string, path: string, body?: unknown) =>
      api.request(method, `/api/v1/billing${path}`, { token, body });
    const getSub = () => call('GET', '/subscription');
    const checkout = await call('POST', '/checkout/create', {
      tier_id: 'professional',
      billing_cycle: cycle,
    });
    expect(checkout.status).toBe(200);
    emulator.completeCheckoutSession(checkout.body.session_id, { cardNumber: '4242424242424242' });
    const active = await eventually(
      getSub,
      (r) => r.body?.status === 'active',
      'the subscription to be active',
    );
    return { clock, stripeCustomer, call, getSub, active };
  }

  it('shows a scheduled downgrade through cancel and resume, then none once it took effect; the renewal bills the lower price', async () => {
    const target = Math.floor(Date.now() / 1000) + LEAD_SECONDS;
    const { frozen, cycle } = clockStartEndingAt(target);
    const { clock, stripeCustomer, call, getSub, active } = await professionalSubscriber(
      'dcr',
      frozen,
      cycle,
    );
    const periodEnd = active.body.current_period_end as string;
    expect(Date.parse(periodEnd)).toBe(target * 1000);
    expect(active.body.pending_change).toBeNull();
    const starterCents = cycle === 'monthly' ? 1900 : 19000;
    const pending = {
      tier: 'starter',
      billing_cycle: cycle,
      interval: cycle === 'monthly' ? 'month' : 'year',
      amount_cents: starterCents,
      amount: starterCents / 100,
      effective_at: periodEnd,
    };

    const scheduled = await call('POST', '/subscription/upgrade', {
      new_tier_id: 'starter',
      billing_cycle: cycle,
    });
    expect(scheduled.body).toMatchObject({
      status: 'scheduled',
      new_tier: 'starter',
      effective_at: periodEnd,
      replaced_pending_change: null,
    });
    expect((await getSub()).body).toMatchObject({ tier: 'professional', pending_change: pending });

    // Seed 004 names the subscription being canceled (Stripe's id here); it is the caller's own.
    const own = (await getSub()).body.stripe_subscription_id as string;
    const canceled = await call('POST', '/subscription/cancel', {
      at_period_end: true,
      subscription_id: own,
    });
    expect(canceled.body).toMatchObject({
      cancel_at_period_end: true,
      pending_change: pending,
      canceled_pending_change: null,
    });
    expect((await getSub()).body).toMatchObject({ cancel_at_period_end: true, pending_change: pending });

    const resumed = await call('POST', '/subscription/resume', {});
    expect(resumed.body).toMatchObject({ cancel_at_period_end: false, pending_change: pending });
    expect((await getSub()).body).toMatchObject({
      tier: 'professional',
      cancel_at_period_end: false,
      pending_change: pending,
    });

    // The period ends (in real time): the workflow moves the subscription to starter.
    const switched = await eventually(
      getSub,
      (r) => r.body?.tier === 'starter',
      'the downgrade to take effect',
      (LEAD_SECONDS + 30) * 1000,
    );
    expect(switched.body).toMatchObject({ amount_cents: starterCents, pending_change: null });

    // Stripe's renewal bills the plan the customer asked for.
    await stripe.testHelpers.testClocks.advance(clock.id, { frozen_time: target + 3600 });
    await eventually(
      getSub,
      (r) => Date.parse(r.body?.current_period_end) > target * 1000,
      'the renewal to reach the mirror',
    );
    const plans = db.orm.em.fork();
    const starter = await plans.findOneOrFail(Plan, { code: 'starter', isCurrent: true });
    const starterPrice = cycle === 'monthly' ? starter.stripePriceMonthlyId : starter.stripePriceYearlyId;
    const renewal = (await stripe.invoices.list({ customer: stripeCustomer.id, limit: 1 })).data[0]!;
    expect(renewal.billing_reason).toBe('subscription_cycle');
    const fees = renewal.lines.data.filter((l) => l.amount > 0);
    expect(fees).toEqual([expect.objectContaining({ amount: starterCents, price: starterPrice })]);
  }, 180_000);

  it('an upgrade replaces a pending downgrade and says so; cancelling now withdraws one and says so', async () => {
    const now = Math.floor(Date.now() / 1000);
    const { call, getSub } = await professionalSubscriber('up', now, 'monthly');
    await call('POST', '/subscription/upgrade', { new_tier_id: 'starter' });
    expect((await getSub()).body.pending_change).toMatchObject({ tier: 'starter' });

    const upgraded = await call('POST', '/subscription/upgrade', { new_tier_id: 'enterprise' });
    expect(upgraded.body).toMatchObject({
      status: 'applied',
      new_tier: 'enterprise',
      replaced_pending_change: { tier: 'starter', amount_cents: 1900 },
    });
    expect((await getSub()).body).toMatchObject({ tier: 'enterprise', pending_change: null });

    await call('POST', '/subscription/upgrade', { new_tier_id: 'starter' });
    expect((await getSub()).body.pending_change).toMatchObject({ tier: 'starter' });
    const canceled = await call('POST', '/subscription/cancel', { at_period_end: false });
    expect(canceled.body).toMatchObject({
      status: 'canceled',
      pending_change: null,
      canceled_pending_change: { tier: 'starter', amount_cents: 1900 },
    });
    // Ended now: the caller has no subscription, so the answer is the free tier's basic info.
    expect((await getSub()).body).toMatchObject({ status: 'none', tier: 'free', pending_change: null });
  }, 120_000);

  it('a customer withdraws a scheduled downgrade and stays on their plan; a second withdrawal is a 409', async () => {
    const now = Math.floor(Date.now() / 1000);
    const { call, getSub } = await professionalSubscriber('wd', now, 'monthly');
    const nothingYet = await call('POST', '/subscription/pending-change/cancel', {});
    expect(nothingYet.status).toBe(409);
    expect(nothingYet.body.error.code).toBe('invalid_subscription_state');

    await call('POST', '/subscription/upgrade', { new_tier_id: 'starter' });
    expect((await getSub()).body.pending_change).toMatchObject({ tier: 'starter' });
    const withdrawn = await call('POST', '/subscription/pending-change/cancel', {});
    expect(withdrawn.status).toBe(200);
    expect(withdrawn.body).toMatchObject({
      success: true,
      status: 'active',
      tier: 'professional',
      canceled_pending_change: { tier: 'starter', amount_cents: 1900, billing_cycle: 'monthly' },
    });
    expect((await getSub()).body).toMatchObject({ tier: 'professional', pending_change: null });

    const again = await call('POST', '/subscription/pending-change/cancel', {});
    expect(again.status).toBe(409);
    expect(again.body.error).toMatchObject({ code: 'invalid_subscription_state' });
    expect(again.body.error.message).toContain('no plan change is scheduled');
  }, 120_000);

  it('withdrawing a scheduled change without a subscription is a 404', async () => {
    const token = await idp.token({ sub: `kc-nosub-${dialect}`, email: `nosub-${dialect}@example.com` });
    const res = await api.request('POST', '/api/v1/billing/subscription/pending-change/cancel', {
      token,
      body: {},
    });
    expect(res.status).toBe(404);
  });

  it.each`
    to              | cycle
    ${'enterprise'} | ${'monthly'}
    ${'enterprise'} | ${'yearly'}
  `(
    'the preview of an upgrade to $to $cycle mid-period is what Stripe then invoices, to the cent',
    async ({ to, cycle }: { to: string; cycle: 'monthly' | 'yearly' }) => {
      const DAY = 86_400;
      const started = Math.floor(Date.now() / 1000) - 11 * DAY;
      const { clock, stripeCustomer, call } = await professionalSubscriber(`pv-${cycle}`, started, 'monthly');
      // Eleven days into the period: Stripe's clock and the engine's (real) clock agree again.
      await stripe.testHelpers.testClocks.advance(clock.id, { frozen_time: Math.floor(Date.now() / 1000) });
      const preview = await call('POST', '/subscription/upgrade', {
        new_tier_id: to,
        billing_cycle: cycle,
        preview: true,
      });
      expect(preview.body).toMatchObject({ preview: true, when: 'now', new_tier: to });
      const applied = await call('POST', '/subscription/upgrade', { new_tier_id: to, billing_cycle: cycle });
      expect(applied.body).toMatchObject({ status: 'applied', new_tier: to });
      const invoice = (await stripe.invoices.list({ customer: stripeCustomer.id, limit: 1 })).data[0]!;
      expect(invoice.billing_reason).toBe('subscription_update');
      const lines = invoice.lines.data;
      const credit = lines.filter((l) => l.amount < 0).reduce((sum, l) => sum + l.amount, 0);
      const charge = lines.filter((l) => l.amount > 0).reduce((sum, l) => sum + l.amount, 0);
      // The seconds between the preview and the change move the prorated lines by a cent at most.
      expect(Math.abs(credit - preview.body.credit_cents)).toBeLessThanOrEqual(1);
      expect(Math.abs(charge - preview.body.charge_cents)).toBeLessThanOrEqual(1);
      expect(Math.abs(invoice.amount_due - preview.body.amount_due_now_cents)).toBeLessThanOrEqual(2);
      // Mid-period, so the credit is a real fraction of the old price, not all or nothing.
      expect(-credit).toBeGreaterThan(0);
      expect(-credit).toBeLessThan(4900);
      if (cycle === 'yearly') expect(charge).toBe(preview.body.next_amount_cents);
    },
    120_000,
  );
});
