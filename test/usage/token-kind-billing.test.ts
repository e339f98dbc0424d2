import { periodUsageLineage } from '../../db/invoice-lineage';
import { periodCostGroups } from '../../db/model-costs';
import { sqlFor } from '../../db/raw-sql';
import { CATALOGUE } from '../../domain/model-costs/catalogue';
import { costByLine } from '../../domain/model-costs/margins';
import { USAGE_METER_EVENT } from '../../integrations/stripe/catalog-sync';
import { createPlan } from '../../services/plans/manage-plans';
import { rateCard } from '../helpers/rate-cards';
import { billingAdmin, controlClock, seedSubscriber } from './fixtures';
import { startMeteredStack, type MeteredStack } from './metered-stack';

jest.setTimeout(120_000);

const MIN = 60_000;
const HOUR = 60 * MIN;
const INPUT = 'inference[direction=input,model=gpt-4o]';
const OUTPUT = 'inference[direction=output,model=gpt-4o]';

type Ev = { id: string; type: string; quantity: number; metadata: Record<string, unknown> };

/**
 * The same model calls, reported by one gateway as one event a call with its token counts and by another
 * as one event per kind. gpt-4o's input and output are priced apart (output on graduated tiers); its cached
 * tokens and claude's calls have no line of their kind and fall to inference's.
 */
const gpt4o = (tokens: Record<string, number>) => ({ model: 'gpt-4o', tokens });
const claude = { model: 'claude-sonnet-4', tokens: { input: 5000, output: 5000 } };
const perCall: Ev[] = [
  {
    id: 'c1',
    type: 'inference',
    quantity: 150_000,
    metadata: gpt4o({ input: 60_000, cached: 20_000, output: 70_000 }),
  },
  // A gateway counting calls, not tokens: the counts are what a card pricing kinds bills.
  {
    id: 'c2',
    type: 'inference',
    quantity: 1,
    metadata: gpt4o({ input: 40_000, output: 50_000, reasoning: 10_000 }),
  },
  { id: 'c3', type: 'inference', quantity: 10_000, metadata: claude },
  { id: 'c4', type: 'inference', quantity: 30_000, metadata: { model: 'gpt-4o', direction: 'output' } },
];
const kind = (id: string, direction: string, quantity: number): Ev => ({
  id,
  type: 'inference',
  quantity,
  metadata: { model: 'gpt-4o', direction },
});
const perKind: Ev[] = [
  kind('k1', 'input', 60_000),
  kind('k2', 'cached', 20_000),
  kind('k3', 'output', 70_000),
  kind('k4', 'input', 40_000),
  kind('k5', 'output', 50_000),
  // Reasoning tokens are billed as output where no line names reasoning.
  kind('k6', 'output', 10_000),
  { id: 'k7', type: 'inference', quantity: 10_000, metadata: claude },
  kind('k8', 'output', 30_000),
];
// Input 100,000 × 0.0004 = 40. Output 160,000: 100,000 × 0.003 + 60,000 × 0.0015 = 300 + 90 = 390. Inference:
// gpt-4o's 20,000 cached and claude's 10,000 units, 30,000 × 0.0001 = 3.
const BILLED = 40 + 390 + 3;

describe.each<'sqlite' | 'postgresql'>(['sqlite', 'postgresql'])(
  'token kinds of one event priced on lines of their own (%s)',
  (dialect) => {
    let stack: MeteredStack;
    beforeAll(async () => {
      stack = await startMeteredStack(dialect, async (db) => {
        await createPlan(db.orm.em.fork(), billingAdmin, 'tok-pro', {
          displayName: 'Tokens Pro',
          priceMonthlyCents: 2000,
          services: ['api'],
          includedCredits: 0,
          overagePer1kCents: 100,
          rateCard: rateCard([
            { usage_type: 'inference', price: { model: 'per_unit', unit_amount_decimal: '0.0001' } },
            {
              usage_type: 'inference',
              match: { model: 'gpt-4o', direction: 'input' },
              price: { model: 'per_unit', unit_amount_decimal: '0.0004' },
            },
            {
              usage_type: 'inference',
              match: { model: 'gpt-4o', direction: 'output' },
              price: {
                model: 'graduated',
                tiers: [
                  { up_to: 100_000, unit_amount_decimal: '0.003' },
                  { up_to: null, unit_amount_decimal: '0.0015' },
                ],
              },
            },
          ]),
        });
      });
    });
    afterAll(() => stack?.stop());

    it('bills one event a call exactly as one event a kind, before and after the rollup, to Stripe', async () => {
      const start = Date.now() - 2 * HOUR;
      const { db, idp, emulator, stripe, api } = stack;
      const clock = controlClock(db.orm, start);
      const activities = stack.usageActivities(clock);
      const gateways = await Promise.all(
        (['call', 'kind'] as const).map(async (how) => {
          const email = `tokens-${how}-${dialect}@example.com`;
          const stripeCustomer = await stripe.customers.create({ email });
          const { customer, sub } = await seedSubscriber(db.orm, {
            email,
            plan: 'tok-pro',
            periodStart: new Date(start),
            stripeCustomerId: stripeCustomer.id,
          });
          return { how, customer, stripeCustomer, token: await idp.token({ sub, email }) };
        }),
      );
      clock.set(start + 10 * MIN);
      for (const g of gateways) {
        const events = g.how === 'call' ? perCall : perKind;
        const res = await api.request('POST', '/api/v1/billing/report_usage', {
          token: g.token,
          body: { events },
        });
        expect(res.body).toMatchObject({ accepted: events.length, rejected: 0 });
      }
      const costView = async (token: string) => {
        const view = await api.request('GET', '/api/v1/billing/usage', { token });
        expect(view.status).toBe(200);
        const lines = view.body.cost.lines as { key: string; units: number; cost_cents: number }[];
        return {
          total: view.body.cost.total_cents,
          lines: Object.fromEntries(
            lines.filter((l) => l.units > 0).map((l) => [l.key, [l.units, l.cost_cents]]),
          ),
        };
      };
      const expected = {
        total: BILLED,
        lines: { inference: [30_000, 3], [INPUT]: [100_000, 40], [OUTPUT]: [160_000, 390] },
      };
      // Not rolled up yet: the view places each kind as the rollup will.
      for (const g of gateways) expect(await costView(g.token)).toEqual(expected);

      clock.set(start + 20 * MIN);
      await activities.rollupUsage({ windowSeconds: 300 });
      await activities.reportRollupsToStripe();
      for (const g of gateways) {
        expect(await costView(g.token)).toEqual(expected);
        const meter = emulator.meterUsage(g.stripeCustomer.id, USAGE_METER_EVENT, {
          start: start / 1000,
          end: (start + 86_400_000) / 1000,
        });
        expect(meter).toBe(BILLED);
      }

      const [byCall] = gateways;
      const sql = sqlFor(db.orm.em.fork());
      // The explanation's lineage counts each event once, however many lines its kinds went to.
      const lineage = await periodUsageLineage(sql, byCall!.customer.id, new Date(start));
      expect(Object.fromEntries(lineage.unitsByLine)).toEqual({
        inference: 30_000,
        [INPUT]: 100_000,
        [OUTPUT]: 160_000,
      });
      expect(lineage.events).toMatchObject({ count: 4, units: 150_000 + 1 + 10_000 + 30_000 });
      // And each kind's cost on the line that billed it: input 100,000 × 250 ÷ 1,000,000 = 25; output and
      // reasoning 160,000 × 1,000 ÷ 1,000,000 = 160; on inference's, gpt-4o's cached 20,000 × 125 ÷ 1,000,000
      // = 2.5 and claude's 5,000 × 300 and 5,000 × 1,500 ÷ 1,000,000 = 9, 11.5 rounded once to 12.
      const cost = costByLine(await periodCostGroups(sql, byCall!.customer.id, new Date(start)), CATALOGUE);
      expect(cost.lines).toEqual([
        { key: 'inference', costCents: 12 },
        { key: INPUT, costCents: 25 },
        { key: OUTPUT, costCents: 160 },
      ]);
      expect(cost).toMatchObject({ costCents: 197, uncostedUnits: 0 });

      // The customer's event list shows the call folded into its rollups, reported.
      const records = await api.request('GET', '/api/v1/billing/usage_records?limit=10', {
        token: byCall!.token,
      });
      expect(records.status).toBe(200);
      const c1 = records.body.records.find((r: { event_id: string }) => r.event_id === 'c1');
      expect(c1).toMatchObject({ status: 'reported', rollup_id: expect.stringMatching(/^urol/) });
      const listed = new Set(records.body.rollups.map((r: { id: string }) => r.id));
      expect(listed.has(c1.rollup_id)).toBe(true);
      expect(listed.size).toBe(3);
    });
  },
);
