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
const request = fc.array(fc.oneof({ weight: 4, arbitrary: goodEvent }, { weight: 1, arbitrary: badEvent }), {
  minLength: 1,
  maxLength: 12,
});
/** A step sends a new request or retries an earlier one verbatim. */
const step = fc.oneof(
  { weight: 3, arbitrary: request.map((events) => ({ kind: 'send' as const, events })) },
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
    it('stores exactly what it answers, counts exactly what it stores, and never passes the daily cap', async () => {
      await fc.assert(
        fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 6 }), async (steps) => {
          const email = `ledger-${dialect}-${++run}@example.com`;
          const { customer } = await seedSubscriber(db.orm, {
            email,
            plan: PLAN,
            periodStart: new Date(T0 - 5 * DAY),
          });
          const token = await idp.token({ sub: `kc-${email}`, email });
          const sent: unknown[][] = [];
          let storedBefore = 0;
          for (const s of steps) {
            const events =
              s.kind === 'retry' && sent.length > 0
                ? (sent[s.n % sent.length] as unknown[])
                : s.kind === 'send'
                  ? s.events.map((e) => ({
                      ...e,
                      timestamp:
                        'timestamp' in e && typeof e.timestamp === 'number'
                          ? new Date(T0 + e.timestamp).toISOString()
                          : undefined,
                    }))
                  : null;
            if (!events) continue;
            sent.push(events);
            const res = await api.request('POST', REPORT, { token, body: { events } });
            // 200, or 429 when the cap refused everything new; both carry the outcome.
            expect([200, 429]).toContain(res.status);
            const outcome = res.status === 200 ? res.body : res.body.error.details;
            expect(outcome.accepted + outcome.duplicate + outcome.rejected).toBe(events.length);
            expect(outcome.rejected_events).toHaveLength(outcome.rejected);

            const em = db.orm.em.fork();
            const stored = await em.find(UsageEvent, { customer: customer.id });
            // The answer equals what was stored: exactly `accepted` new rows.
            expect(stored.length - storedBefore).toBe(outcome.accepted);
            storedBefore = stored.length;
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
            // Every stored id is well formed and stored once.
            const ids = stored.map((e) => e.eventId);
            expect(new Set(ids).size).toBe(ids.length);
            for (const id of ids) expect(id).toBe(id.normalize('NFC'));
            expect(ids).not.toContain('s\ud800');
          }
        }),
        { numRuns: 60 },
      );
    });
  },
);
