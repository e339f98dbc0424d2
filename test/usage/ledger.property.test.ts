import fc from 'fast-check';
import { DailyUsage, UsageEvent } from '../../db/entities';
import { startTestIdp, type TestIdp } from '../helpers/auth';
import { openTestDatabase } from '../helpers/db';
import { controlClock, seedSubscriber, startUsageApi, type UsageApi } from './fixtures';

const DAY = 86_400_000;
const T0 = Date.parse('2026-03-10T10:00:00.000Z');
const REPORT = '/api/v1/billing/report_usage';
// Starter allows 1,000 calls a day: sequences below reach the cap often.
const PLAN = 'starter';
const CAP = 1000;

/** Ids from a small pool, so sequences repeat ids across and within requests. */
const eventId = fc.constantFrom('a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'caf\u00e9', 'cafe\u0301');
const goodEvent = fc.record({
  id: eventId,
  type: fc.constantFrom('inference', 'embedding', 'tts'),
  quantity: fc.integer({ min: 1, max: 400 }),
  timestamp: fc.option(fc.constantFrom(-3_600_000, -20 * 3_600_000, -26 * 3_600_000), { nil: undefined }),
});
/** Events the engine must refuse, each for a reason of its own. */
const badEvent = fc.oneof(
  fc.record({ id: fc.constant('s\ud800'), type: fc.constant('inference'), quantity: fc.constant(1_000_000) }),
  fc.record({ id: eventId, type: fc.constant('teleport'), quantity: fc.constant(1) }),
  fc.record({
    id: eventId,
    type: fc.constant('inference'),
    quantity: fc.constantFrom(0, -5, 1.5, 2_000_000),
  }),
  fc.record({
    id: eventId,
    type: fc.constant('inference'),
    quantity: fc.constant(1),
    byok: fc.constant(true),
  }),
  fc.record({ id: fc.constant('n\u0000l'), type: fc.constant('inference'), quantity: fc.constant(3) }),
);
/** Each event with whether the engine may take it, which the model needs and the wire must not carry. */
const request = fc.array(
  fc.oneof(
    { weight: 4, arbitrary: goodEvent.map((event) => ({ event, valid: true })) },
    { weight: 1, arbitrary: badEvent.map((event) => ({ event, valid: false })) },
  ),
  { minLength: 1, maxLength: 12 },
);
/** Who sends a request: the customer with their own token, or the gateway naming them. */
type Reporter = 'self' | 'gateway';
type Sent = { events: Record<string, unknown>[]; valid: boolean[]; by: Reporter };

/**
 * What the ledger should hold for one customer: each stored event by its reporter and (NFC) id. An id is
 * an idempotency key only within one reporter's namespace, so the same id from both is two events.
 */
type Ledger = Map<string, { type: string; quantity: number; day: string }>;
const ledgerKey = (by: string, id: string) => `${by}\u0000${id.normalize('NFC')}`;
type Verdict = 'accepted' | 'duplicate' | 'invalid' | 'over_cap';

/**
 * The answer the engine owes one request, worked out from the ledger before it: invalid events are
 * refused; an id its reporter already stored, or taken earlier in the same request, is a duplicate; the
 * new events of a UTC day are kept in request order until the day would pass the cap, the newest going
 * back out first.
 * An id whose first copy in the request went back out is refused the same way, not called a duplicate.
 */
function expectedOutcome(ledger: Ledger, sent: Sent): { verdicts: Verdict[]; after: Ledger } {
  const verdicts: Verdict[] = [];
  const firstCopy = new Map<string, number>();
  const fresh: { index: number; id: string; day: string; type: string; quantity: number }[] = [];
  sent.events.forEach((e, index) => {
    if (!sent.valid[index]) {
      verdicts.push('invalid');
      return;
    }
    const id = ledgerKey(sent.by, e.id as string);
    const first = firstCopy.get(id);
    if (ledger.has(id) || first !== undefined) {
      verdicts.push('duplicate');
      return;
    }
    firstCopy.set(id, index);
    const at = typeof e.timestamp === 'string' ? e.timestamp : new Date(T0).toISOString();
    fresh.push({ index, id, day: at.slice(0, 10), type: e.type as string, quantity: e.quantity as number });
    verdicts.push('accepted');
  });
  const after: Ledger = new Map(ledger);
  for (const day of new Set(fresh.map((f) => f.day))) {
    const ofDay = fresh.filter((f) => f.day === day);
    let total = [...ledger.values()].filter((l) => l.day === day).reduce((n, l) => n + l.quantity, 0);
    total += ofDay.reduce((n, f) => n + f.quantity, 0);
    for (let i = ofDay.length - 1; i >= 0 && total > CAP; i--) {
      const f = ofDay[i] as (typeof ofDay)[number];
      verdicts[f.index] = 'over_cap';
      total -= f.quantity;
    }
    for (const f of ofDay) {
      if (verdicts[f.index] === 'accepted') after.set(f.id, { type: f.type, quantity: f.quantity, day });
    }
  }
  // Later copies of an id that went back out were never stored: they are refused with it.
  sent.events.forEach((e, index) => {
    if (verdicts[index] !== 'duplicate') return;
    const id = ledgerKey(sent.by, e.id as string);
    const first = firstCopy.get(id);
    if (!ledger.has(id) && first !== undefined && verdicts[first] === 'over_cap')
      verdicts[index] = 'over_cap';
  });
  return { verdicts, after };
}
/** A step sends a new request, as the customer or as the gateway, or retries an earlier one verbatim. */
const reporter = fc.constantFrom<Reporter>('self', 'gateway');
const step = fc.oneof(
  {
    weight: 3,
    arbitrary: fc.tuple(request, reporter).map(([events, by]) => ({ kind: 'send' as const, events, by })),
  },
  { weight: 1, arbitrary: fc.nat().map((n) => ({ kind: 'retry' as const, n })) },
);

describe.each(['sqlite', 'postgresql'] as const)(
  'the usage ledger under any sequence of reports (%s)',
  (dialect) => {
    let db: Awaited<ReturnType<typeof openTestDatabase>>;
    let idp: TestIdp;
    let api: UsageApi;

    beforeAll(async () => {
      [db, idp] = await Promise.all([openTestDatabase(dialect), startTestIdp()]);
      api = await startUsageApi(db.orm, idp);
      controlClock(db.orm, T0);
    });
    afterAll(async () => {
      await api?.stop();
      await Promise.all([db?.close(), idp?.stop()]);
    });

    let run = 0;
    it('answers each event as a model of the ledger predicts, stores exactly that, counts what it stores, and never passes the daily cap', async () => {
      await fc.assert(
        fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 6 }), async (steps) => {
          const email = `ledger-${dialect}-${++run}@example.com`;
          const { customer } = await seedSubscriber(db.orm, {
            email,
            plan: PLAN,
            periodStart: new Date(T0 - 5 * DAY),
          });
          const tokens: Record<Reporter, string> = {
            self: await idp.token({ sub: `kc-${email}`, email }),
            gateway: await idp.token({
              sub: 'svc-gateway',
              email: 'gw@example.com',
              roles: ['billing-gateway'],
            }),
          };
          const sent: Sent[] = [];
          let ledger: Ledger = new Map();
          for (const s of steps) {
            const req: Sent | null =
              s.kind === 'retry' && sent.length > 0
                ? (sent[s.n % sent.length] as Sent)
                : s.kind === 'send'
                  ? {
                      events: s.events.map(({ event: e }) => ({
                        ...e,
                        timestamp:
                          'timestamp' in e && typeof e.timestamp === 'number'
                            ? new Date(T0 + e.timestamp).toISOString()
                            : undefined,
                      })),
                      valid: s.events.map((e) => e.valid),
                      by: s.by,
                    }
                  : null;
            if (!req) continue;
            sent.push(req);
            const { events } = req;
            const model = expectedOutcome(ledger, req);
            const want = (v: Verdict) => model.verdicts.filter((x) => x === v).length;
            const res = await api.request('POST', REPORT, {
              token: tokens[req.by],
              body: req.by === 'gateway' ? { customer_email: email, events } : { events },
            });
            // 429 exactly when the cap refused something and nothing was taken; both carry the outcome.
            const capped = want('accepted') === 0 && want('over_cap') > 0;
            expect({ status: res.status }).toEqual({ status: capped ? 429 : 200 });
            const outcome = res.status === 200 ? res.body : res.body.error.details;
            // The answer's counts equal what happened, event by event.
            expect({
              accepted: outcome.accepted,
              duplicate: outcome.duplicate,
              rejected: (outcome.rejected_events as { index: number; reason: string }[]).map((r) => ({
                index: r.index,
                over_cap: r.reason === 'daily_quota_exceeded',
              })),
            }).toEqual({
              accepted: want('accepted'),
              duplicate: want('duplicate'),
              rejected: model.verdicts.flatMap((v, index) =>
                v === 'invalid' || v === 'over_cap' ? [{ index, over_cap: v === 'over_cap' }] : [],
              ),
            });
            expect(outcome.rejected).toBe(outcome.rejected_events.length);

            const em = db.orm.em.fork();
            const stored = await em.find(UsageEvent, { customer: customer.id });
            // Each accepted event is stored once with its units; duplicates and refusals add nothing.
            expect(
              new Map(
                stored.map((e) => [
                  ledgerKey(e.reporter, e.eventId),
                  { type: e.type, quantity: e.quantity, day: e.occurredAt.toISOString().slice(0, 10) },
                ]),
              ),
            ).toEqual(model.after);
            // Stored units grew by exactly the units of the events it took.
            const units = (l: Ledger) => [...l.values()].reduce((n, e) => n + e.quantity, 0);
            expect(stored.reduce((n, e) => n + e.quantity, 0) - units(ledger)).toBe(
              model.verdicts.reduce(
                (n, v, i) => (v === 'accepted' ? n + (events[i]?.quantity as number) : n),
                0,
              ),
            );
            ledger = model.after;
            // Counters equal the sum of stored events, per day, and no day passes the cap.
            const counters = await em.find(DailyUsage, { customerId: customer.id });
            const perDay = new Map<string, number>();
            for (const e of stored.filter((s) => !s.byok)) {
              const day = e.occurredAt.toISOString().slice(0, 10);
              perDay.set(day, (perDay.get(day) ?? 0) + e.quantity);
            }
            const counted = new Map<string, number>();
            for (const c of counters) counted.set(c.day, (counted.get(c.day) ?? 0) + c.quantity);
            for (const day of new Set([...perDay.keys(), ...counted.keys()])) {
              expect({ day, counter: counted.get(day) ?? 0 }).toEqual({ day, counter: perDay.get(day) ?? 0 });
              expect(perDay.get(day) ?? 0).toBeLessThanOrEqual(CAP);
            }
            // Every stored id is well formed and stored once in its reporter's namespace.
            const ids = stored.map((e) => e.eventId);
            expect(new Set(stored.map((e) => ledgerKey(e.reporter, e.eventId))).size).toBe(ids.length);
            for (const id of ids) expect(id).toBe(id.normalize('NFC'));
            expect(ids).not.toContain('s\ud800');
          }
        }),
        { numRuns: 60 },
      );
    });
  },
);
