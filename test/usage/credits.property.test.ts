import fc from 'fast-check';
import { addGrant, addMovement, readLedger } from '../../db/credit-ledger';
import { sqlFor } from '../../db/raw-sql';
import { creditBalance, remainingByGrant } from '../../domain/credit-ledger';
import { startTestIdp, type TestIdp } from '../helpers/auth';
import { openTestDatabase } from '../helpers/db';
import { controlClock, seedCreditPlans, seedSubscriber, startUsageApi, type UsageApi } from './fixtures';

const DAY = 86_400_000;
const T0 = Date.parse('2026-03-10T10:00:00.000Z');
const PERIOD_START = T0 - 5 * DAY;
const PERIOD_END = PERIOD_START + 30 * DAY;
const REPORT = '/api/v1/billing/report_usage';
// Plans made for the test from enterprise (150¢ per thousand beyond the included credits, no daily cap),
// with few included credits so that sequences soon draw on grants, and one of them prepaid-only.
const INCLUDED = 200;
const PER_1K = 150;

type Refusal = 'spend_cap_reached' | 'credits_exhausted';
type Verdict = 'accepted' | 'duplicate' | Refusal;
interface ModelGrant {
  id: string;
  left: number;
  priority: number;
  expiresAt: number | null;
  createdAt: number;
}
/** What the engine should hold, kept by rules written out plainly here, not by the engine's domain code. */
interface Model {
  clock: number;
  includedLeft: number;
  grants: ModelGrant[];
  overageUnits: number;
  prepaidUnits: number;
  stored: Set<string>;
  cap: { cents: number; mode: 'block' | 'notify' } | null;
  /** The overage when the cap was set: a cap set below it holds back what comes after. */
  overageAtCap: number;
  prepaidOnly: boolean;
}

const live = (g: ModelGrant, at: number) => g.expiresAt === null || at < g.expiresAt;
const order = (a: ModelGrant, b: ModelGrant) =>
  a.priority - b.priority ||
  (a.expiresAt ?? Infinity) - (b.expiresAt ?? Infinity) ||
  a.createdAt - b.createdAt ||
  (a.id < b.id ? -1 : 1);
const balanceOf = (m: Model) => m.grants.filter((g) => live(g, m.clock)).reduce((n, g) => n + g.left, 0);

/** Pays one event whole, or says why not, changing the model only when it is paid. */
function pay(m: Model, units: number): Refusal | null {
  const fromIncluded = Math.min(units, m.includedLeft);
  let rest = units - fromIncluded;
  const takes: [ModelGrant, number][] = [];
  for (const g of m.grants.filter((x) => live(x, m.clock)).sort(order)) {
    const take = Math.min(rest, g.left);
    if (take > 0) takes.push([g, take]);
    rest -= take;
  }
  if (rest > 0 && m.prepaidOnly) return 'credits_exhausted';
  // A blocking cap counts the exact cost, before the bill rounds it: a cap of 0 keeps no overage.
  if (rest > 0 && m.cap?.mode === 'block' && (m.overageUnits + rest) * PER_1K > m.cap.cents * 1000)
    return 'spend_cap_reached';
  m.includedLeft -= fromIncluded;
  for (const [g, take] of takes) g.left -= take;
  m.prepaidUnits += units - fromIncluded - rest;
  m.overageUnits += rest;
  return null;
}

function expected(m: Model, events: { id: string; quantity: number }[]): Verdict[] {
  const first = new Map<string, number>();
  const verdicts: Verdict[] = [];
  events.forEach((e, i) => {
    const earlier = first.get(e.id);
    if (m.stored.has(e.id)) verdicts.push('duplicate');
    else if (earlier !== undefined) {
      const v = verdicts[earlier] as Verdict;
      verdicts.push(v === 'accepted' || v === 'duplicate' ? 'duplicate' : v);
    } else {
      first.set(e.id, i);
      const refusal = pay(m, e.quantity);
      if (refusal) verdicts.push(refusal);
      else {
        m.stored.add(e.id);
        verdicts.push('accepted');
      }
    }
  });
  return verdicts;
}

const eventId = fc.constantFrom('a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j', 'k', 'l');
const step = fc.oneof(
  {
    weight: 4,
    arbitrary: fc
      .array(fc.record({ id: eventId, quantity: fc.integer({ min: 1, max: 150 }) }), {
        minLength: 1,
        maxLength: 8,
      })
      .map((events) => ({ kind: 'report' as const, events })),
  },
  {
    weight: 2,
    arbitrary: fc
      .record({
        amount: fc.integer({ min: 1, max: 500 }),
        priority: fc.integer({ min: 0, max: 1 }),
        expiresInDays: fc.option(fc.constantFrom(1, 2, 5, 12), { nil: null }),
      })
      .map((g) => ({ kind: 'grant' as const, ...g })),
  },
  { weight: 1, arbitrary: fc.nat().map((n) => ({ kind: 'void' as const, n })) },
  { weight: 1, arbitrary: fc.integer({ min: 1, max: 6 }).map((days) => ({ kind: 'wait' as const, days })) },
  {
    weight: 1,
    arbitrary: fc
      .option(
        fc.record({ cents: fc.integer({ min: 0, max: 120 }), mode: fc.constantFrom('block', 'notify') }),
        {
          nil: null,
        },
      )
      .map((cap) => ({ kind: 'cap' as const, cap: cap as Model['cap'] })),
  },
);

describe.each(['sqlite', 'postgresql'] as const)(
  'prepaid credits under any sequence of events (%s)',
  (dialect) => {
    let db: Awaited<ReturnType<typeof openTestDatabase>>;
    let idp: TestIdp;
    let api: UsageApi;
    let clock: ReturnType<typeof controlClock>;

    beforeAll(async () => {
      [db, idp] = await Promise.all([openTestDatabase(dialect), startTestIdp()]);
      api = await startUsageApi(db.orm, idp);
      clock = controlClock(db.orm, T0);
      await seedCreditPlans(db.orm, 'credits', INCLUDED);
    });
    afterAll(async () => {
      await api?.stop();
      await Promise.all([db?.close(), idp?.stop()]);
    });

    let run = 0;
    it('answers, stores and draws as the model does: the balance is the ledger, never below zero, and a blocking cap is never passed', async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.boolean(),
          fc.array(step, { minLength: 1, maxLength: 14 }),
          async (prepaidOnly, steps) => {
            const email = `credits-${dialect}-${++run}@example.com`;
            const { customer, sub } = await seedSubscriber(db.orm, {
              email,
              plan: prepaidOnly ? 'credits-prepaid' : 'credits-overage',
              periodStart: new Date(PERIOD_START),
            });
            const token = await idp.token({ sub, email });
            const sql = sqlFor(db.orm.em.fork());
            const m: Model = {
              clock: T0,
              includedLeft: INCLUDED,
              grants: [],
              overageUnits: 0,
              prepaidUnits: 0,
              stored: new Set(),
              cap: null,
              overageAtCap: 0,
              prepaidOnly,
            };
            let reportNo = 0;
            for (const s of steps) {
              // Past the memo of a customer's credit standing (two seconds), as a caller a moment later.
              m.clock += 3000;
              clock.set(m.clock);
              if (s.kind === 'grant') {
                const { grant } = await addGrant(sql, {
                  customerId: customer.id,
                  amount: s.amount,
                  source: 'admin',
                  priority: s.priority,
                  effectiveAt: new Date(m.clock - 1000),
                  expiresAt: s.expiresInDays === null ? null : new Date(m.clock + s.expiresInDays * DAY),
                  sourceKey: `admin:${customer.id}:${m.grants.length}`,
                });
                m.grants.push({
                  id: grant.id,
                  left: s.amount,
                  priority: s.priority,
                  expiresAt: grant.expiresAt?.getTime() ?? null,
                  createdAt: grant.createdAt.getTime(),
                });
              } else if (s.kind === 'void' && m.grants.length > 0) {
                const g = m.grants[s.n % m.grants.length] as ModelGrant;
                if (g.left > 0) {
                  await addMovement(sql, {
                    customerId: customer.id,
                    grantId: g.id,
                    kind: 'void',
                    amount: g.left,
                    at: new Date(m.clock),
                    sourceKey: `void:${g.id}`,
                  });
                  g.left = 0;
                }
              } else if (s.kind === 'wait') {
                if (m.clock + s.days * DAY < PERIOD_END - DAY) m.clock += s.days * DAY;
                clock.set(m.clock);
              } else if (s.kind === 'cap') {
                await sql.run(
                  `insert into credit_settings (customer_id, spend_cap_cents, spend_cap_mode, updated_at) values (?, ?, ?, ?)
                   on conflict (customer_id) do update set spend_cap_cents = excluded.spend_cap_cents,
                     spend_cap_mode = excluded.spend_cap_mode`,
                  [customer.id, s.cap?.cents ?? null, s.cap?.mode ?? 'block', sql.date(new Date())],
                );
                m.cap = s.cap;
                m.overageAtCap = m.overageUnits;
              } else if (s.kind === 'report') {
                const events = s.events.map((e) => ({ ...e, id: `${e.id}`, type: 'inference' }));
                const verdicts = expected(m, events);
                const res = await api.request('POST', REPORT, {
                  token,
                  body: { events: events.map((e) => ({ id: e.id, type: e.type, quantity: e.quantity })) },
                });
                reportNo++;
                const refusedWhole =
                  !verdicts.includes('accepted') && verdicts.some((v) => v !== 'duplicate');
                expect({ report: reportNo, status: res.status }).toEqual({
                  report: reportNo,
                  status: refusedWhole ? 429 : 200,
                });
                const outcome = res.status === 200 ? res.body : res.body.error.details;
                expect({
                  accepted: outcome.accepted,
                  duplicate: outcome.duplicate,
                  rejected: (outcome.rejected_events as { index: number; reason: string }[]).map((r) => [
                    r.index,
                    r.reason,
                  ]),
                }).toEqual({
                  accepted: verdicts.filter((v) => v === 'accepted').length,
                  duplicate: verdicts.filter((v) => v === 'duplicate').length,
                  rejected: verdicts.flatMap((v, i) =>
                    v === 'accepted' || v === 'duplicate' ? [] : [[i, v]],
                  ),
                });
              }
              // The ledger, the events and the model agree after every step.
              const ledger = await readLedger(sql, customer.id);
              const left = remainingByGrant(ledger.grants, ledger.movements);
              for (const g of m.grants)
                expect({ grant: g.id, left: left.get(g.id) }).toEqual({ grant: g.id, left: g.left });
              for (const v of left.values()) expect(v).toBeGreaterThanOrEqual(0);
              expect(creditBalance(ledger.grants, ledger.movements, new Date(m.clock))).toBe(balanceOf(m));
              const [row] = await sql.run<{ n: unknown; units: unknown; prepaid: unknown }>(
                'select count(*) as n, sum(quantity) as units, sum(prepaid) as prepaid from usage_events where customer_id = ?',
                [customer.id],
              );
              const used = Number(row?.units ?? 0);
              const prepaid = Number(row?.prepaid ?? 0);
              expect({ stored: Number(row?.n), prepaid }).toEqual({
                stored: m.stored.size,
                prepaid: m.prepaidUnits,
              });
              // What the rollup bills beyond included credits is exactly the model's overage.
              expect(Math.max(0, used - INCLUDED - prepaid)).toBe(m.overageUnits);
              const drawn = ledger.movements
                .filter((x) => x.kind === 'draw')
                .reduce((n, x) => n + x.amount, 0);
              expect(drawn).toBe(prepaid);
              // Nothing past a blocking cap is billed: any overage since it was set stays within it.
              if (m.cap?.mode === 'block' && used - INCLUDED - prepaid > m.overageAtCap)
                expect((used - INCLUDED - prepaid) * PER_1K).toBeLessThanOrEqual(m.cap.cents * 1000);
              if (prepaidOnly) expect(m.overageUnits).toBe(0);
            }
          },
        ),
        { numRuns: 40 },
      );
    });
  },
);
