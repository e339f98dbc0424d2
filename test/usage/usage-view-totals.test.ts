import fc from 'fast-check';
import { Subscription } from '../../db/entities';
import { countersFor } from '../../db/usage-counters';
import { periodStartDay, SETTLE_MS } from '../../services/usage/period-usage';
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

describe('the day a period starts on, for the daily counters', () => {
  it.each([
    ['2026-03-06T04:59:59.999Z', '2026-03-06', true],
    ['2026-03-06T00:00:00.001Z', '2026-03-06', true],
    ['2026-03-06T00:00:00.000Z', '2026-03-06', false],
    ['2026-12-31T23:30:00.000Z', '2026-12-31', true],
    ['2027-01-01T00:00:00.000Z', '2027-01-01', false],
  ])('a period from %s reads counters from %s; part of that day before it: %s', (start, day, partDay) => {
    const first = periodStartDay(new Date(start));
    expect({ day: first.day, midnight: first.midnight.toISOString(), partDay: first.partDay }).toEqual({
      day,
      midnight: `${day}T00:00:00.000Z`,
      partDay,
    });
  });
});

/**
 * The usage view sums the period from the daily counters, less the events of its first day stored before
 * it began (read with the counters until they can no longer change, then remembered). Whatever events
 * were stored, wherever the period starts (mid-day or at midnight), whether an operator reset today's
 * quota, and whether the view is read fresh or from what it remembers, its totals must be the sums of the
 * stored events since the period's start, counted and BYOK apart, and today's figure what the quota sees.
 */
describe.each(['sqlite', 'postgresql'] as const)('the usage view over any stored events (%s)', (dialect) => {
  let db: Awaited<ReturnType<typeof openTestDatabase>>;
  let idp: TestIdp;
  let api: UsageApi;
  let admin: string;
  let clock: ReturnType<typeof controlClock>;

  beforeAll(async () => {
    [db, idp] = await Promise.all([openTestDatabase(dialect), startTestIdp()]);
    api = await startUsageApi(db.orm, idp);
    clock = controlClock(db.orm, T0);
    admin = await idp.token({ sub: 'admin-usage', email: 'admin@example.com', roles: ['admin'] });
  });
  afterAll(async () => {
    await api?.stop();
    await Promise.all([db?.close(), idp?.stop()]);
  });

  const opened = T0 - 4 * DAY - 5 * HOUR;

  async function usageView(token: string) {
    const view = await api.request('GET', '/api/v1/billing/usage', { token });
    expect(view.status).toBe(200);
    const { period_start, month, byok_month, today } = view.body.usage;
    return { period_start, month, byok_month, today };
  }

  async function report(token: string, events: Sent[]) {
    const res = await api.request('POST', REPORT, {
      token,
      body: {
        events: events.map((e) => ({
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
      accepted: events.length,
    });
  }
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
          clock.set(T0);
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
          await report(token, sent);
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

          const today = new Date(T0).toISOString().slice(0, 10);
          const inPeriod = (e: Sent) => e.at >= periodStart;
          const expected = {
            period_start: new Date(periodStart).toISOString(),
            month: sumBy(sent, (e) => inPeriod(e) && !e.byok),
            byok_month: sumBy(sent, (e) => inPeriod(e) && e.byok),
            today: reset
              ? sumBy([], () => false)
              : sumBy(sent, (e) => !e.byok && new Date(e.at).toISOString().slice(0, 10) === today),
          };
          // Read when first seen, once the units before the start are final (remembered then), and after.
          for (const at of [T0, T0 + SETTLE_MS, T0 + SETTLE_MS + 60_000]) {
            clock.set(at);
            expect(await usageView(token)).toEqual(expected);
          }
        },
      ),
      { numRuns: 25 },
    );
  });

  const renewal = Date.parse('2026-03-09T07:00:00.000Z');
  const at = (id: string, ms: number, quantity: number, byok = false): Sent => ({
    id,
    type: 'inference',
    quantity,
    at: ms,
    byok,
  });
  const expectedAfterRenewal = (sent: Sent[]) => ({
    period_start: new Date(renewal).toISOString(),
    month: sumBy(sent, (e) => e.at >= renewal && !e.byok),
    byok_month: sumBy(sent, (e) => e.at >= renewal && e.byok),
    today: sumBy(sent, (e) => !e.byok && e.at >= Date.parse('2026-03-10T00:00:00.000Z')),
  });

  /**
   * A subscriber who reported `sent` under the period opened four days ago, which then renews at
   * `renewal`; `lateReport` reports as a process whose memo still holds the period before.
   */
  async function renewedSubscriber(name: string, sent: Sent[]) {
    clock.set(T0);
    const email = `view-${name}-${dialect}@example.com`;
    const { customer, subscription } = await seedSubscriber(db.orm, {
      email,
      plan: 'enterprise',
      periodStart: new Date(opened),
    });
    await storeCustomerKey(db.orm, customer);
    const sub = `kc-${email}`;
    const token = await idp.token({ sub, email });
    await report(token, sent);
    const counters = countersFor(db.orm.em);
    const memoKey = `user:${sub}`;
    const stale = await counters.snapshot(memoKey, () => Promise.reject(new Error('not remembered')));
    await db.orm.em
      .fork()
      .nativeUpdate(Subscription, { id: subscription.id }, { currentPeriodStart: new Date(renewal) });
    counters.forgetSnapshots();
    return {
      token,
      async lateReport(late: Sent[]) {
        counters.forgetSnapshots();
        await counters.snapshot(memoKey, async () => stale);
        await report(token, late);
        counters.forgetSnapshots();
      },
    };
  }

  it('counts a report another process took under the previous period, until the units before the start are final', async () => {
    const sent = [
      at('day-before', renewal - DAY, 1),
      at('same-day-before', renewal - 2 * HOUR, 10),
      at('same-day-before-byok', renewal - 30 * 60_000, 20, true),
      at('same-day-after', renewal + HOUR, 100),
      at('today', T0 - HOUR, 1000),
    ];
    const { token, lateReport } = await renewedSubscriber('race', sent);
    expect(await usageView(token)).toEqual(expectedAfterRenewal(sent));

    // A process whose memo of the subscription still holds the previous period takes reports from
    // before the renewal, after this one first saw the new period.
    clock.set(T0 + 60_000);
    const late = [
      at('late-before', renewal - 10 * 60_000, 10_000),
      at('late-after', renewal + 60_000, 100_000),
    ];
    await lateReport(late);
    sent.push(...late);
    expect(await usageView(token)).toEqual(expectedAfterRenewal(sent));

    clock.set(T0 + SETTLE_MS + 60_000);
    expect(await usageView(token)).toEqual(expectedAfterRenewal(sent));
    const after = [
      at('after-settling', T0 + SETTLE_MS, 1_000_000),
      at('after-settling-byok', renewal + 1, 7, true),
    ];
    await report(token, after);
    sent.push(...after);
    clock.set(T0 + SETTLE_MS + 120_000);
    expect(await usageView(token)).toEqual(expectedAfterRenewal(sent));
  });

  it('reads the events again once units land on a start day that had none, and counts out a late report from before the start', async () => {
    // Nothing on the renewal's day: the view reads the counters only.
    const sent = [at('day-before', renewal - DAY, 1), at('today', T0 - HOUR, 1000)];
    const { token, lateReport } = await renewedSubscriber('empty-start-day', sent);
    expect(await usageView(token)).toEqual(expectedAfterRenewal(sent));
    clock.set(T0 + 30_000);
    expect(await usageView(token)).toEqual(expectedAfterRenewal(sent));

    // BYOK units alone, then counted ones, each from before the start.
    for (const [minute, late] of [
      [1, [at('late-before-byok', renewal - 20 * 60_000, 20_000, true)]],
      [2, [at('late-before', renewal - 10 * 60_000, 10_000), at('late-after', renewal + 60_000, 100_000)]],
    ] as const) {
      clock.set(T0 + minute * 60_000);
      await lateReport([...late]);
      sent.push(...late);
      expect(await usageView(token)).toEqual(expectedAfterRenewal(sent));
    }
    clock.set(T0 + SETTLE_MS + 60_000);
    expect(await usageView(token)).toEqual(expectedAfterRenewal(sent));
  });

  it('keeps a start day that stayed empty until the units before the start were final as empty, and counts what comes after the start', async () => {
    const sent = [at('day-before', renewal - DAY, 1)];
    const { token } = await renewedSubscriber('settled-empty', sent);
    expect(await usageView(token)).toEqual(expectedAfterRenewal(sent));
    clock.set(T0 + SETTLE_MS + 60_000);
    expect(await usageView(token)).toEqual(expectedAfterRenewal(sent));
    const after = [
      at('start-day-after', renewal + 1, 5),
      at('start-day-after-byok', renewal + HOUR, 7, true),
    ];
    await report(token, after);
    sent.push(...after);
    clock.set(T0 + SETTLE_MS + 120_000);
    expect(await usageView(token)).toEqual(expectedAfterRenewal(sent));
  });
});
