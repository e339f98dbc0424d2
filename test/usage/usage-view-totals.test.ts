import fc from 'fast-check';
import { Subscription } from '../../db/entities';
import { countersFor } from '../../services/usage/counters';
import { periodDays } from '../../services/usage/usage-views';
import { startTestIdp, type TestIdp } from '../helpers/auth';
import { openTestDatabase } from '../helpers/db';
import { controlClock, seedSubscriber, startUsageApi, storeCustomerKey, type UsageApi } from './fixtures';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const T0 = Date.parse('2026-03-10T10:00:00.000Z');
const REPORT = '/api/v1/billing/report_usage';
const TYPES = ['inference', 'embedding', 'tts', 'stt'] as const;

type Sent = { id: string; type: (typeof TYPES)[number]; quantity: number; at: number; byok: boolean };
type ByType = Record<string, number>;

const sumBy = (events: Sent[], keep: (e: Sent) => boolean): ByType => {
  const out: ByType = Object.fromEntries(TYPES.map((t) => [t, 0]));
  for (const e of events) if (keep(e)) out[e.type] = (out[e.type] ?? 0) + e.quantity;
  return out;
};

describe('how a period splits for the daily counters', () => {
  it.each([
    ['2026-03-06T04:59:59.999Z', '2026-03-07T00:00:00.000Z', '2026-03-07'],
    ['2026-03-06T00:00:00.001Z', '2026-03-07T00:00:00.000Z', '2026-03-07'],
    ['2026-03-06T00:00:00.000Z', '2026-03-06T00:00:00.000Z', '2026-03-06'],
    ['2026-12-31T23:30:00.000Z', '2027-01-01T00:00:00.000Z', '2027-01-01'],
  ])('a period from %s reads events until %s, then whole days from %s', (start, end, firstWholeDay) => {
    const split = periodDays(new Date(start));
    expect({ end: split.startDayEnd.toISOString(), firstWholeDay: split.firstWholeDay }).toEqual({
      end,
      firstWholeDay,
    });
  });
});

/**
 * The usage view sums the period from the daily counters and the events of the day it starts on. Whatever
 * events were stored, wherever the period starts (mid-day or at midnight) and whether an operator reset
 * today's quota, its totals must be the sums of the stored events since the period's start, counted and
 * BYOK apart, and today's figure what the quota sees.
 */
describe.each(['sqlite', 'postgresql'] as const)('the usage view over any stored events (%s)', (dialect) => {
  let db: Awaited<ReturnType<typeof openTestDatabase>>;
  let idp: TestIdp;
  let api: UsageApi;
  let admin: string;

  beforeAll(async () => {
    [db, idp] = await Promise.all([openTestDatabase(dialect), startTestIdp()]);
    api = await startUsageApi(db.orm, idp);
    controlClock(db.orm, T0);
    admin = await idp.token({ sub: 'admin-usage', email: 'admin@example.com', roles: ['admin'] });
  });
  afterAll(async () => {
    await api?.stop();
    await Promise.all([db?.close(), idp?.stop()]);
  });

  const opened = T0 - 4 * DAY - 5 * HOUR;
  const event = fc.record({
    type: fc.constantFrom(...TYPES),
    quantity: fc.integer({ min: 1, max: 500 }),
    // From the period's opening to now, on any of its days, the first and today included.
    offset: fc.integer({ min: 0, max: T0 - opened }),
    byok: fc.boolean(),
  });
  /** Where the period starts when the view is read: as opened, later the same day, at a midnight, or later. */
  const renewedAt = fc.oneof(
    fc.constant(opened),
    fc.integer({ min: 1, max: 10 * HOUR }).map((ms) => opened + ms),
    fc.integer({ min: 1, max: 4 }).map((d) => Math.floor(opened / DAY) * DAY + d * DAY),
    fc.integer({ min: 0, max: T0 - opened }).map((ms) => opened + ms),
  );

  let run = 0;
  it('answers the sums of the stored events since the period started, counted and BYOK apart', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(event, { minLength: 1, maxLength: 40 }),
        renewedAt,
        fc.boolean(),
        async (drawn, periodStart, reset) => {
          const email = `view-${dialect}-${++run}@example.com`;
          const { customer, subscription } = await seedSubscriber(db.orm, {
            email,
            plan: 'enterprise',
            periodStart: new Date(opened),
          });
          await storeCustomerKey(db.orm, customer);
          const token = await idp.token({ sub: `kc-${email}`, email });
          const sent: Sent[] = drawn.map((e, i) => ({
            id: `e-${i}`,
            type: e.type,
            quantity: e.quantity,
            at: opened + e.offset,
            byok: e.byok,
          }));
          const res = await api.request('POST', REPORT, {
            token,
            body: {
              events: sent.map((e) => ({
                id: e.id,
                type: e.type,
                quantity: e.quantity,
                timestamp: new Date(e.at).toISOString(),
                ...(e.byok ? { byok: true } : {}),
              })),
            },
          });
          expect({ status: res.status, accepted: res.body.accepted }).toEqual({
            status: 200,
            accepted: sent.length,
          });
          if (reset) {
            const r = await api.request('POST', `/api/v1/admin/subscriptions/${email}/reset-usage`, {
              token: admin,
              body: { reason: 'support ticket' },
            });
            expect(r.status).toBe(200);
          }
          // The period moves on (a renewal), so events before its new start belong to the one before.
          await db.orm.em
            .fork()
            .nativeUpdate(
              Subscription,
              { id: subscription.id },
              { currentPeriodStart: new Date(periodStart) },
            );
          // As once the memo of what the subscription grants has expired (the test's clock stands still).
          countersFor(db.orm.em).forgetSnapshots();

          const view = await api.request('GET', '/api/v1/billing/usage', { token });
          expect(view.status).toBe(200);
          const today = new Date(T0).toISOString().slice(0, 10);
          const inPeriod = (e: Sent) => e.at >= periodStart;
          expect({
            period_start: view.body.usage.period_start,
            month: view.body.usage.month,
            byok_month: view.body.usage.byok_month,
            today: view.body.usage.today,
          }).toEqual({
            period_start: new Date(periodStart).toISOString(),
            month: sumBy(sent, (e) => inPeriod(e) && !e.byok),
            byok_month: sumBy(sent, (e) => inPeriod(e) && e.byok),
            today: reset
              ? sumBy([], () => false)
              : sumBy(sent, (e) => !e.byok && new Date(e.at).toISOString().slice(0, 10) === today),
          });
        },
      ),
      { numRuns: 25 },
    );
  });
});
