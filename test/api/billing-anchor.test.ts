import type { Dialect } from '../../db/orm';
import { firstPeriodCents, nextCalendarAnchor } from '../../domain/billing-anchor';
import { syncCatalog } from '../../integrations/stripe/catalog-sync';
import { customerOnClock, startFullStack, type FullStack } from '../helpers/full-stack';
import { waitUntil } from '../helpers/eventually';
import { expectRefusals, type Refusal } from '../helpers/refusals';

const DAY_S = 86_400;
const iso = (s: number) => new Date(s * 1000).toISOString();

/**
 * Stripe's clock for these customers: the 16th of next month at noon UTC, so the first period runs a
 * fixed share of a month to the 1st after it, whatever day the suite runs on.
 */
function midMonth(): number {
  return nextCalendarAnchor(Math.floor(Date.now() / 1000)) + 15 * DAY_S + DAY_S / 2;
}

describe.each<Dialect>(['sqlite', 'postgresql'])('calendar billing (%s)', (dialect) => {
  let stack: FullStack;
  let admin: string;
  beforeAll(async () => {
    stack = await startFullStack({ taskQueue: `billing-anchor-${dialect}`, dialect });
    admin = await stack.idp.token({ sub: 'admin-anchor', email: 'admin@example.com', roles: ['admin'] });
  }, 120_000);
  afterAll(() => stack?.stop());

  const adminCall = (method: string, path: string, body?: unknown) =>
    stack.api.request(method, `/api/v1${path}`, { token: admin, body });

  /** A $29 monthly plan (with $290 yearly), synced to Stripe. */
  async function plan(code: string, terms: Record<string, unknown>) {
    const created = await adminCall('POST', '/subscriptions/plans', {
      id: code,
      display_name: `Plan ${code}`,
      price_monthly_cents: 2900,
      price_yearly_cents: 29000,
      services: ['chat'],
      ...terms,
    });
    expect({ status: created.status, error: created.body.error }).toEqual({ status: 201, error: undefined });
    await syncCatalog(stack.stripe, stack.db.orm);
    return created.body;
  }

  /** A customer on a clock at `frozen` who checks out `tier` and pays with 4242 on Stripe's page. */
  async function subscriber(name: string, frozen: number, body: Record<string, unknown>) {
    const who = await customerOnClock(stack, `${name}-${dialect}`, frozen);
    const call = (method: string, path: string, b?: unknown) =>
      stack.api.request(method, `/api/v1/billing${path}`, { token: who.token, body: b });
    const checkout = await call('POST', '/checkout/create', { billing_cycle: 'monthly', ...body });
    expect({ status: checkout.status, error: checkout.body.error }).toEqual({
      status: 200,
      error: undefined,
    });
    stack.emulator.completeCheckoutSession(checkout.body.session_id, { cardNumber: '4242424242424242' });
    /** What Stripe charged, oldest first, with each invoice's period. */
    const charged = async () =>
      (await stack.stripe.invoices.list({ customer: who.stripeCustomer.id, limit: 100 })).data
        .filter((i) => i.amount_paid > 0)
        .map((i) => i.amount_paid)
        .reverse();
    return { ...who, call, checkout: checkout.body, charged };
  }

  it('bills a calendar plan on the 1st: the days to it prorated at checkout, then whole months from the 1st', async () => {
    const created = await plan(`cal-${dialect}`, { billing_anchor: 'calendar' });
    expect(created.billing_anchor).toBe('calendar');
    const frozen = midMonth();
    const anchor = nextCalendarAnchor(frozen);
    const firstCents = firstPeriodCents(2900, frozen, anchor, 'month');
    const s = await subscriber('cal', frozen, { tier_id: `cal-${dialect}` });
    // Checkout showed, and the card paid, the share of a month until the 1st.
    const session = await stack.stripe.checkout.sessions.retrieve(s.checkout.session_id);
    expect(session.amount_total).toBe(firstCents);
    const active = await waitUntil(s.getSub, (r) => r.body?.status === 'active', 'the subscription', 60_000);
    expect(active.body).toMatchObject({
      billing_anchor: 'calendar',
      current_period_start: iso(frozen),
      current_period_end: iso(anchor),
      amount_cents: 2900,
    });
    expect(await s.charged()).toEqual([firstCents]);
    const invoices = await waitUntil(
      () => s.call('GET', '/invoices'),
      (r) => Array.isArray(r.body) && r.body.length === 1,
      'the first invoice in the mirror',
      60_000,
    );
    expect(invoices.body[0]).toMatchObject({ amount_paid_cents: firstCents, status: 'paid' });

    // The 1st comes: a whole month at the plan's price, from the 1st to the next 1st.
    await stack.stripe.testHelpers.testClocks.advance(s.clock.id, { frozen_time: anchor + 3600 });
    const renewed = await waitUntil(
      s.getSub,
      (r) => r.body?.current_period_start === iso(anchor),
      'the renewal on the 1st',
      60_000,
    );
    expect(renewed.body).toMatchObject({
      status: 'active',
      current_period_end: iso(nextCalendarAnchor(anchor)),
    });
    expect(await s.charged()).toEqual([firstCents, 2900]);
  }, 180_000);

  it('lets a customer choose the 1st on a plan that bills on anniversaries, and keeps it for a change of plan', async () => {
    await plan(`anniv-${dialect}`, {});
    await plan(`anniv-big-${dialect}`, { price_monthly_cents: 4900, price_yearly_cents: 49000 });
    const frozen = midMonth();
    const anchor = nextCalendarAnchor(frozen);
    const s = await subscriber('chooser', frozen, {
      tier_id: `anniv-${dialect}`,
      billing_anchor: 'calendar',
    });
    const active = await waitUntil(s.getSub, (r) => r.body?.status === 'active', 'the subscription', 60_000);
    expect(active.body).toMatchObject({ billing_anchor: 'calendar', current_period_end: iso(anchor) });
    expect(await s.charged()).toEqual([firstPeriodCents(2900, frozen, anchor, 'month')]);

    // Monthly to yearly would restart Stripe's cycle today: asked for now, refused, naming the field.
    const now = await s.call('POST', '/subscription/upgrade', {
      new_tier_id: `anniv-big-${dialect}`,
      billing_cycle: 'yearly',
      when: 'now',
    });
    expect({ status: now.status, code: now.body.error?.code, field: now.body.error?.details?.field }).toEqual(
      {
        status: 409,
        code: 'anchor_needs_period_end',
        field: 'body.when',
      },
    );
    // Unasked, it waits for the 1st.
    const scheduled = await s.call('POST', '/subscription/upgrade', {
      new_tier_id: `anniv-big-${dialect}`,
      billing_cycle: 'yearly',
    });
    expect(scheduled.body).toMatchObject({ status: 'scheduled', effective_at: iso(anchor) });
    // A change within the month applies now and leaves the 1st where it is.
    const withdrawn = await s.call('POST', '/subscription/pending-change/cancel', {});
    expect(withdrawn.status).toBe(200);
    const upgraded = await s.call('POST', '/subscription/upgrade', {
      new_tier_id: `anniv-big-${dialect}`,
      billing_cycle: 'monthly',
    });
    expect(upgraded.status).toBe(200);
    const moved = await waitUntil(s.getSub, (r) => r.body?.amount_cents === 4900, 'the upgrade', 60_000);
    expect(moved.body).toMatchObject({ billing_anchor: 'calendar', current_period_end: iso(anchor) });
  }, 180_000);

  it('runs a trial on calendar billing on to the 1st after its days, then bills whole months', async () => {
    await plan(`cal-trial-${dialect}`, { billing_anchor: 'calendar', trial_days: 14 });
    const frozen = midMonth();
    const trialEnd = nextCalendarAnchor(frozen + 14 * DAY_S);
    const s = await subscriber('cal-trial', frozen, { tier_id: `cal-trial-${dialect}` });
    const trialing = await waitUntil(s.getSub, (r) => r.body?.status === 'trialing', 'the trial', 60_000);
    expect(trialing.body).toMatchObject({ billing_anchor: 'calendar', trial_end: iso(trialEnd) });
    expect(await s.charged()).toEqual([]);
    await stack.stripe.testHelpers.testClocks.advance(s.clock.id, { frozen_time: trialEnd + 3600 });
    const active = await waitUntil(s.getSub, (r) => r.body?.status === 'active', 'the first month', 60_000);
    expect(active.body).toMatchObject({
      current_period_start: iso(trialEnd),
      current_period_end: iso(nextCalendarAnchor(trialEnd)),
    });
    expect(await s.charged()).toEqual([2900]);
  }, 180_000);

  it('refuses calendar billing where it cannot hold, and anchors it does not know, naming the field', async () => {
    const who = await customerOnClock(stack, `refused-${dialect}`);
    const checkout = (body: Record<string, unknown>) =>
      stack.api.request('POST', '/api/v1/billing/checkout/create', { token: who.token, body });
    const cases: Refusal[] = [
      [{ tier_id: 'trial', billing_anchor: 'calendar' }, 400, 'anchor_not_supported', 'body.billing_anchor'],
      [{ tier_id: 'starter', billing_anchor: 'weekly' }, 400, 'validation_failed', undefined],
      [{ tier_id: 'starter', billing_anchor: 'Calendar' }, 400, 'validation_failed', undefined],
      [{ tier_id: 'starter', billing_anchor: 1 }, 400, 'validation_failed', undefined],
      [{ tier_id: 'starter', billing_anchor: null }, 400, 'validation_failed', undefined],
      [{ tier_id: 'starter', billing_anchor: 'calendar\u0000' }, 400, 'validation_failed', undefined],
    ];
    await expectRefusals(checkout, cases);
    const askForCard = await adminCall('POST', '/subscriptions/plans', {
      id: `ask-cal-${dialect}`,
      display_name: 'Ask and calendar',
      price_monthly_cents: 2900,
      trial_days: 7,
      trial_without_card: 'ask_for_card',
      billing_anchor: 'calendar',
    });
    expect({
      status: askForCard.status,
      code: askForCard.body.error?.code,
      field: askForCard.body.error?.details?.field,
    }).toEqual({ status: 400, code: 'anchor_not_supported', field: 'billing_anchor' });
    const trialTier = await adminCall('PUT', '/subscriptions/plans/trial', { billing_anchor: 'calendar' });
    expect({ status: trialTier.status, code: trialTier.body.error?.code }).toEqual({
      status: 400,
      code: 'anchor_not_supported',
    });
  }, 120_000);
});
