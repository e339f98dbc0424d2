import { addGrant } from '../../db/credit-ledger';
import { sqlFor } from '../../db/raw-sql';
import { USAGE_METER_EVENT } from '../../integrations/stripe/catalog-sync';
import { controlClock, seedSubscriber } from './fixtures';
import { startMeteredStack, type MeteredStack } from './metered-stack';

const MIN = 60_000;

describe('what Stripe is told of usage prepaid credits paid', () => {
  let stack: MeteredStack;
  beforeAll(async () => {
    stack = await startMeteredStack('sqlite');
  });
  afterAll(() => stack?.stop());

  it('reports to the meter only the units no credit paid for, and nothing for a window credits paid whole', async () => {
    const { db, idp, emulator, stripe, api } = stack;
    const start = Date.now() - 60 * MIN;
    const clock = controlClock(db.orm, start);
    const email = 'prepaid-meter@example.com';
    const stripeCustomer = await stripe.customers.create({ email });
    const { customer, sub } = await seedSubscriber(db.orm, {
      email,
      plan: 'professional',
      periodStart: new Date(start - 24 * 60 * MIN),
      stripeCustomerId: stripeCustomer.id,
    });
    const sql = sqlFor(db.orm.em.fork());
    await addGrant(sql, {
      customerId: customer.id,
      amount: 300,
      source: 'admin',
      effectiveAt: new Date(start - MIN),
      expiresAt: null,
      sourceKey: `admin:${customer.id}:meter`,
    });
    const token = await idp.token({ sub, email });
    const report = async (at: number, events: { id: string; quantity: number }[]) => {
      clock.set(at);
      const res = await api.request('POST', '/api/v1/billing/report_usage', {
        token,
        body: { events: events.map((e) => ({ ...e, type: 'inference' })) },
      });
      expect(res.body).toMatchObject({ accepted: events.length });
    };
    // Professional includes 500 credits: the first 500 units are included, the next 300 prepaid, the rest
    // overage. The second window (10 minutes on) is paid by the grant alone.
    await report(start, [
      { id: 'a', quantity: 450 },
      { id: 'b', quantity: 40 },
    ]);
    await report(start + 10 * MIN, [
      { id: 'c', quantity: 10 },
      { id: 'd', quantity: 200 },
    ]);
    await report(start + 20 * MIN, [{ id: 'e', quantity: 150 }]);

    const activities = stack.usageActivities({ now: () => start + 40 * MIN });
    await activities.rollupUsage({ windowSeconds: 300 });
    const rollups = await sql.run<{ quantity: unknown; stripe_reported_at: unknown }>(
      'select quantity, stripe_reported_at from usage_rollups where customer_id = ? order by window_start',
      [customer.id],
    );
    // Window 1: 490 included. Window 2: 10 included, 200 prepaid. Window 3: 100 prepaid, 50 overage.
    expect(rollups.map((r) => Number(r.quantity))).toEqual([490, 10, 50]);
    await activities.reportRollupsToStripe();
    // Stripe is told the period's rated cost: the 50 units neither credit paid for, at 200¢ per thousand.
    expect(emulator.meterUsage(stripeCustomer.id, USAGE_METER_EVENT)).toBe(10);
    const [units] = await sql.run<{ used: unknown; prepaid: unknown }>(
      'select sum(quantity) as used, sum(prepaid) as prepaid from usage_events where customer_id = ?',
      [customer.id],
    );
    expect(Number(units?.used) - Number(units?.prepaid) - 500).toBe(50);
    // The customer's usage view answers the same overage and cost Stripe bills.
    const view = await api.request('GET', '/api/v1/billing/usage', { token });
    expect(view.body.credits).toMatchObject({ used: 850, overage: 50, overage_cost_cents: 10 });
  });

  it('marks a window credits paid whole as reported at once; Stripe hears the period cost nothing', async () => {
    const { db, idp, emulator, stripe, api } = stack;
    const start = Date.now() - 60 * MIN;
    const clock = controlClock(db.orm, start);
    const email = 'prepaid-whole@example.com';
    const stripeCustomer = await stripe.customers.create({ email });
    const { customer, sub } = await seedSubscriber(db.orm, {
      email,
      plan: 'starter',
      periodStart: new Date(start - 24 * 60 * MIN),
      stripeCustomerId: stripeCustomer.id,
    });
    const sql = sqlFor(db.orm.em.fork());
    const token = await idp.token({ sub, email });
    // Starter includes 100: use them up first, then let a grant pay a whole later window.
    clock.set(start);
    await api.request('POST', '/api/v1/billing/report_usage', {
      token,
      body: { events: [{ id: 'x', type: 'inference', quantity: 100 }] },
    });
    await addGrant(sql, {
      customerId: customer.id,
      amount: 50,
      source: 'admin',
      effectiveAt: new Date(start),
      expiresAt: null,
      sourceKey: `admin:${customer.id}:whole`,
    });
    clock.set(start + 10 * MIN);
    const res = await api.request('POST', '/api/v1/billing/report_usage', {
      token,
      body: { events: [{ id: 'y', type: 'inference', quantity: 30 }] },
    });
    expect(res.body).toMatchObject({ accepted: 1 });
    const activities = stack.usageActivities({ now: () => start + 40 * MIN });
    await activities.rollupUsage({ windowSeconds: 300 });
    const rollups = await sql.run<{ quantity: unknown; stripe_reported_at: unknown }>(
      'select quantity, stripe_reported_at from usage_rollups where customer_id = ? order by window_start',
      [customer.id],
    );
    expect(rollups.map((r) => [Number(r.quantity), r.stripe_reported_at !== null])).toEqual([
      [100, false],
      [0, true],
    ]);
    const sent = await activities.reportRollupsToStripe();
    expect(sent).toMatchObject({ reported: 1 });
    // The 100 units are the plan's included 100: the period's cost so far is zero.
    expect(emulator.meterUsage(stripeCustomer.id, USAGE_METER_EVENT)).toBe(0);
  });
});
