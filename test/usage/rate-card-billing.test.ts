import { Subscription } from '../../db/entities';
import { USAGE_METER_EVENT } from '../../integrations/stripe/catalog-sync';
import { createPlan } from '../../services/plans/manage-plans';
import { aiRateCard, aiRateCardEur } from '../helpers/rate-cards';
import { billingAdmin, controlClock, seedSubscriber, storeCustomerKey } from './fixtures';
import { startMeteredStack, type MeteredStack } from './metered-stack';

jest.setTimeout(120_000);

const MIN = 60_000;
const HOUR = 60 * MIN;

const admin = billingAdmin;

describe.each<'sqlite' | 'postgresql'>(['sqlite', 'postgresql'])(
  'usage rated by a rate card, billed to the cent (%s)',
  (dialect) => {
    let stack: MeteredStack;
    beforeAll(async () => {
      stack = await startMeteredStack(dialect, async (db) => {
        await createPlan(db.orm.em.fork(), admin, 'ai-pro', {
          displayName: 'AI Pro',
          priceMonthlyCents: 4900,
          services: ['api', 'embeddings', 'tts', 'byok'],
          includedCredits: 1000,
          overagePer1kCents: 200,
          rateCard: aiRateCard(),
          currencyPrices: {
            eur: {
              priceMonthlyCents: 4500,
              priceYearlyCents: null,
              overagePer1kCents: 180,
              rateCard: aiRateCardEur(),
            },
          },
        });
      });
    });
    afterAll(() => stack?.stop());

    it('bills each line of two periods exactly, and the usage view answers what Stripe bills', async () => {
      const { db, idp, emulator, stripe, api } = stack;
      // Period 1 ended two hours ago; period 2 is the open one.
      const now = Date.now();
      const p1 = now - 2 * HOUR - 30 * 86_400_000;
      const email = `rated-${dialect}@example.com`;
      const stripeCustomer = await stripe.customers.create({ email });
      const { customer, sub } = await seedSubscriber(db.orm, {
        email,
        plan: 'ai-pro',
        periodStart: new Date(p1),
        stripeCustomerId: stripeCustomer.id,
      });
      await storeCustomerKey(db.orm, customer);
      const token = await idp.token({ sub, email });
      const clock = controlClock(db.orm, p1);
      const activities = stack.usageActivities(clock);
      type Ev = { id: string; type: string; quantity: number; metadata?: object; byok?: boolean };
      const report = async (at: number, events: Ev[]) => {
        clock.set(at);
        const res = await api.request('POST', '/api/v1/billing/report_usage', { token, body: { events } });
        expect(res.body).toMatchObject({ accepted: events.length, rejected: 0 });
      };
      const bill = async (at: number) => {
        clock.set(at);
        await activities.rollupUsage({ windowSeconds: 300 });
        await activities.reportRollupsToStripe();
      };
      const output = { model: 'gpt-4o', direction: 'output' };
      const meter = (start: number, end: number) =>
        emulator.meterUsage(stripeCustomer.id, USAGE_METER_EVENT, { start: start / 1000, end: end / 1000 });

      // Output tokens cross two tiers over three batches, each rolled up and reported before the next.
      await report(p1 + 10 * MIN, [
        { id: 'o1', type: 'inference', quantity: 800, metadata: output },
        { id: 'i1', type: 'inference', quantity: 2000, metadata: { model: 'gpt-4o', direction: 'input' } },
        { id: 'e1', type: 'embedding', quantity: 600 },
      ]);
      await bill(p1 + 20 * MIN);
      // 800 × 0.5 = 400; 2,000 × 0.1 = 200; 600 embeddings at 0.02 = 12.
      expect(meter(p1, p1 + 86_400_000)).toBe(612);

      await report(p1 + 30 * MIN, [
        { id: 'o2', type: 'inference', quantity: 1500, metadata: output },
        { id: 'e2', type: 'embedding', quantity: 700 },
        { id: 't1', type: 'tts', quantity: 1500 },
      ]);
      await report(p1 + 40 * MIN, [
        { id: 'o3', type: 'inference', quantity: 1200, metadata: output },
        { id: 'i2', type: 'inference', quantity: 500 },
        { id: 'b1', type: 'inference', quantity: 4000, byok: true, metadata: { model: 'gpt-4o' } },
      ]);
      await bill(p1 + 60 * MIN);
      // Output 3,500: 1,000 × 0.5 + 2,000 × 0.25 + 500 × 0.1 = 1,050. Inference 2,500 × 0.1 = 250.
      // Embeddings 1,300: past 1,000 the volume tier prices all of them at 0.01 = 13, less than the 12 + 14
      // they would cost one batch at a time. tts: 500 past the 1,000 included at 200¢/1k = 100. BYOK
      // 4,000 × 0.05 = 200.
      const period1 = 1050 + 250 + 13 + 100 + 200;
      expect(meter(p1, p1 + 86_400_000)).toBe(period1);

      const view = await api.request('GET', '/api/v1/billing/usage', { token });
      expect(view.status).toBe(200);
      expect(view.body.cost.total_cents).toBe(period1);
      expect(
        Object.fromEntries(
          view.body.cost.lines.map((l: { key: string; units: number; cost_cents: number }) => [
            l.key,
            [l.units, l.cost_cents],
          ]),
        ),
      ).toEqual({
        '*': [1500, 100],
        inference: [2500, 250],
        'inference[direction=output,model=gpt-4o]': [3500, 1050],
        embedding: [1300, 13],
        'byok:*': [4000, 200],
      });
      // The credit pool is the plan's included credits: only tts drew on them.
      expect(view.body.credits).toMatchObject({
        included_credits: 1000,
        used: 1500,
        overage: 500,
        overage_cost_cents: 100,
      });
      // The Credits page's spend cap and the console's usage of the customer count the same pool.
      const credits = await api.request('GET', '/api/v1/billing/credits', { token });
      expect(credits.body.spend_cap).toMatchObject({ period_overage_units: 500, period_overage_cents: 100 });
      const admin = await idp.token({ sub: 'kc-admin', email: 'admin@example.com', roles: ['admin'] });
      const inConsole = await api.request('GET', `/api/v1/admin/billing/customers/${email}/usage`, {
        token: admin,
      });
      expect(inConsole.body).toMatchObject({
        used: 1500,
        included_credits: 1000,
        overage: 500,
        overage_cost_cents: 100,
      });
      // Revenue per type and model: the period's lines as the rollup rated them for Stripe.
      const billed = await api.request(
        'GET',
        `/api/v1/admin/revenue/usage?month=${new Date(p1).toISOString().slice(0, 7)}`,
        { token: admin },
      );
      expect(billed.status).toBe(200);
      expect(billed.body.total_cents).toBe(period1);
      expect(
        Object.fromEntries(
          billed.body.lines.map(
            (l: { key: string; units: number; cost_cents: number; customers: number }) => [
              l.key,
              [l.units, l.cost_cents, l.customers],
            ],
          ),
        ),
      ).toEqual({
        '*': [1500, 100, 1],
        inference: [2500, 250, 1],
        'inference[direction=output,model=gpt-4o]': [3500, 1050, 1],
        embedding: [1300, 13, 1],
        'byok:*': [4000, 200, 1],
      });

      // The period renews: usage from now on is period 2's, starting from nothing.
      const p2 = now - 2 * HOUR;
      await db.orm.em
        .fork()
        .nativeUpdate(
          Subscription,
          { customer },
          { currentPeriodStart: new Date(p2), currentPeriodEnd: new Date(p2 + 30 * 86_400_000) },
        );
      await new Promise((r) => setTimeout(r, 2100)); // the API's memo of the subscription
      await report(p2 + 10 * MIN, [
        { id: 'o4', type: 'inference', quantity: 1200, metadata: output },
        { id: 'e3', type: 'embedding', quantity: 900 },
      ]);
      await bill(p2 + 20 * MIN);
      // Output starts over at the first tier: 1,000 × 0.5 + 200 × 0.25 = 550. Embeddings 900 × 0.02 = 18.
      expect(meter(p2, p2 + 86_400_000)).toBe(568);
      // Period 1's bill is untouched.
      expect(meter(p1, p2)).toBe(period1);
      const view2 = await api.request('GET', '/api/v1/billing/usage', { token });
      expect(view2.body.cost.total_cents).toBe(568);
    });

    it('rates a euro subscriber by the card in euros, and Stripe bills the cents in euros', async () => {
      const { db, idp, emulator, stripe, api } = stack;
      const now = Date.now();
      const start = now - 2 * HOUR;
      const email = `rated-eur-${dialect}@example.com`;
      const stripeCustomer = await stripe.customers.create({ email });
      const { customer, sub } = await seedSubscriber(db.orm, {
        email,
        plan: 'ai-pro',
        periodStart: new Date(start),
        stripeCustomerId: stripeCustomer.id,
        currency: 'eur',
      });
      await storeCustomerKey(db.orm, customer);
      const token = await idp.token({ sub, email });
      const clock = controlClock(db.orm, start);
      const activities = stack.usageActivities(clock);
      clock.set(start + 10 * MIN);
      const events = [
        { id: 'eo1', type: 'inference', quantity: 1200, metadata: { model: 'gpt-4o', direction: 'output' } },
        { id: 'ei1', type: 'inference', quantity: 2000 },
        { id: 'ee1', type: 'embedding', quantity: 600 },
        { id: 'et1', type: 'tts', quantity: 1500 },
        { id: 'eb1', type: 'inference', quantity: 1000, byok: true },
      ];
      const res = await api.request('POST', '/api/v1/billing/report_usage', { token, body: { events } });
      expect(res.body).toMatchObject({ accepted: 5, rejected: 0 });
      clock.set(start + 20 * MIN);
      await activities.rollupUsage({ windowSeconds: 300 });
      await activities.reportRollupsToStripe();
      // Output 1,000 × 0.45 + 200 × 0.2 = 490; inference 2,000 × 0.09 = 180; embeddings 600 × 0.018 =
      // 10.8 → 11; tts 500 past the included 1,000 at 180 per 1,000 = 90; BYOK 1,000 × 0.04 = 40. In
      // dollars the same usage would be 550 + 200 + 12 + 100 + 50 = 912.
      const cost = 490 + 180 + 11 + 90 + 40;
      const meter = emulator.meterUsage(stripeCustomer.id, USAGE_METER_EVENT, {
        start: start / 1000,
        end: (start + 86_400_000) / 1000,
      });
      expect(meter).toBe(cost);
      const view = await api.request('GET', '/api/v1/billing/usage', { token });
      expect(view.body.cost).toMatchObject({ total_cents: cost, currency: 'eur' });
      expect(view.body.credits).toMatchObject({ overage: 500, overage_cost_cents: 90 });
      // In the revenue per line, in euros and only there.
      const admin = await idp.token({ sub: 'kc-admin', email: 'admin@example.com', roles: ['admin'] });
      const month = new Date(start).toISOString().slice(0, 7);
      const inEuros = await api.request('GET', `/api/v1/admin/revenue/usage?month=${month}&currency=eur`, {
        token: admin,
      });
      expect(inEuros.body.total_cents).toBe(cost);
      // The dollar subscriber's usage of the same days is not in it.
      expect(inEuros.body.lines.every((l: { customers: number }) => l.customers === 1)).toBe(true);
    });
  },
);
