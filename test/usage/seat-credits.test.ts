import type { Dialect } from '../../db/orm';
import { Plan, Subscription } from '../../db/entities';
import { newId } from '../../db/ids';
import { sqlFor } from '../../db/raw-sql';
import type { TestIdp } from '../helpers/auth';
import { seedSubscriber, startTwoUsageApis, type UsageApi } from './fixtures';

const DAY = 86_400_000;
const REPORT = '/api/v1/billing/report_usage';

interface Sent {
  id: string;
  quantity: number;
  subject?: string;
}

/**
 * Seats that carry credits of their own: each of a subscription's seats pays its holder's usage first (the
 * first subjects to report in a period take the seats), then the account's included credits, prepaid
 * credits and overage, as domain/credit-usage.ts drawUsage says; exact across API processes.
 */
describe.each<Dialect>(['sqlite', 'postgresql'])('seats with credits of their own (%s)', (dialect) => {
  let stack: Awaited<ReturnType<typeof startTwoUsageApis>>;
  let db: Awaited<ReturnType<typeof startTwoUsageApis>>['db'];
  let idp: TestIdp;
  let apis: UsageApi[];
  let gateway: string;
  let n = 0;

  beforeAll(async () => {
    stack = await startTwoUsageApis(dialect);
    ({ db, idp, apis, gateway } = stack);
  });
  afterAll(() => stack?.stop());

  /** A plan made from enterprise, priced per seat, each seat carrying `perSeat` credits a month. */
  async function seatPlan(opts: { perSeat: number; included: number; prepaidOnly: boolean }) {
    const em = db.orm.em.fork();
    const enterprise = await em.findOneOrFail(Plan, { code: 'enterprise', isCurrent: true });
    const code = `seat-credits-${dialect}-${++n}`;
    em.create(Plan, {
      ...enterprise,
      id: newId('plan'),
      code,
      seatMin: 1,
      seatMax: null,
      seatCredits: opts.perSeat,
      includedCredits: opts.included,
      prepaidOnly: opts.prepaidOnly,
      overagePer1kCents: opts.prepaidOnly ? 0 : enterprise.overagePer1kCents,
      dailyApiCalls: null,
      stripeProductId: null,
      stripePriceMonthlyId: null,
      stripePriceYearlyId: null,
      stripeUsagePriceMonthlyId: null,
      stripeUsagePriceYearlyId: null,
    });
    await em.flush();
    return code;
  }

  /** A subscriber holding `seats` seats of `plan`, and the gateway's reports and checks for them. */
  async function team(plan: string, seats: number) {
    const email = `seat-credits-${dialect}-${++n}@example.com`;
    const {
      customer: row,
      subscription,
      sub,
    } = await seedSubscriber(db.orm, {
      email,
      plan,
      periodStart: new Date(Date.now() - 3 * DAY),
    });
    await db.orm.em.fork().nativeUpdate(Subscription, { id: subscription.id }, { seats });
    const token = await idp.token({ sub, email });
    return {
      id: row.id,
      own: (method: string, path: string) =>
        (apis[0] as UsageApi).request(method, `/api/v1${path}`, { token }),
      report: (events: Sent[], via = 0) =>
        (apis[via] as UsageApi).request('POST', REPORT, {
          token: gateway,
          body: { customer_email: email, events: events.map((e) => ({ type: 'inference', ...e })) },
        }),
      /** The claims of the gateway's signed snapshot (its signature is the gateway client's to check). */
      snapshot: async () => {
        const res = await (apis[0] as UsageApi).request(
          'GET',
          `/api/v1/entitlements/snapshot?customer_email=${encodeURIComponent(email)}`,
          { token: gateway },
        );
        const payload = (res.body.token as string).split('.')[1] as string;
        return JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
      },
      check: (subject?: string) =>
        (apis[0] as UsageApi).request(
          'POST',
          `/api/v1/subscriptions/check-access/api?customer_email=${encodeURIComponent(email)}${
            subject === undefined ? '' : `&subject=${encodeURIComponent(subject)}`
          }`,
          { token: gateway },
        ),
    };
  }

  /** What each stored event was paid ahead (the rollup bills the rest), by event id. */
  async function paidAhead(customerId: string) {
    const rows = await sqlFor(db.orm.em.fork()).run<{ event_id: string; prepaid: unknown }>(
      'select event_id, prepaid from usage_events where customer_id = ? order by event_id',
      [customerId],
    );
    return Object.fromEntries(rows.map((r) => [r.event_id, Number(r.prepaid)]));
  }

  it("pays each holder's usage from its seat first, the rest from the account's pool, and bills only the rest", async () => {
    const c = await team(await seatPlan({ perSeat: 100, included: 1000, prepaidOnly: false }), 2);
    const res = await c.report([
      { id: 'a1', quantity: 60, subject: 'user:ann' },
      { id: 'b1', quantity: 150, subject: 'user:bob' },
      { id: 'c1', quantity: 30, subject: 'user:cy' },
      { id: 'n1', quantity: 20 },
      { id: 'a2', quantity: 50, subject: 'user:ann' },
    ]);
    expect(res.body).toMatchObject({ accepted: 5, rejected: 0 });

    // Ann's seat pays 60 then 40 of 50; Bob's pays 100 of 150; Cy came third: no seat is left for him.
    expect(await paidAhead(c.id)).toEqual({ a1: 60, a2: 40, b1: 100, c1: 0, n1: 0 });
    const credits = await c.own('GET', '/billing/credits');
    expect(credits.body.seats).toEqual({
      credits_per_seat: 100,
      seats: 2,
      holders: [
        { subject: 'user:ann', used: 100, remaining: 0 },
        { subject: 'user:bob', used: 100, remaining: 0 },
      ],
    });
    // The account's pool paid the rest: 10 of Ann's, 50 of Bob's, Cy's 30 and the unnamed 20.
    expect(credits.body.included).toMatchObject({ credits: 1000, used: 110, remaining: 890 });
    const usage = await c.own('GET', '/billing/usage');
    expect(usage.body.credits).toMatchObject({ used: 110, remaining: 890 });
    // The included-credits entitlement (what the gateway decides from) counts the account's share too.
    const entitlements = await c.own('GET', '/entitlements');
    expect(
      (entitlements.body.entitlements as { feature: string }[]).find((e) => e.feature === 'credits'),
    ).toMatchObject({ used: 110, limit: 1000 });
  });

  it("keeps what seats paid out of the account's pool after a change to a plan whose seats carry none", async () => {
    const c = await team(await seatPlan({ perSeat: 100, included: 1000, prepaidOnly: false }), 2);
    expect((await c.report([{ id: 'a1', quantity: 60, subject: 'user:ann' }])).body).toMatchObject({
      accepted: 1,
    });
    // Mid-period, the subscription moves to a plan whose seats carry no credits (a new version, say).
    const plain = await seatPlan({ perSeat: 0, included: 1000, prepaidOnly: false });
    const em = db.orm.em.fork();
    const to = await em.findOneOrFail(Plan, { code: plain });
    await em.nativeUpdate(Subscription, { customer: c.id }, { plan: to.id, tier: plain });
    // Written behind the APIs' backs, as another process would: their two-second memos of access lapse.
    await new Promise((r) => setTimeout(r, 2_100));
    expect((await c.report([{ id: 'a2', quantity: 10, subject: 'user:ann' }])).body).toMatchObject({
      accepted: 1,
    });

    // The seat paid the first 60 this period: only the 10 since are the account's.
    expect(await paidAhead(c.id)).toEqual({ a1: 60, a2: 0 });
    const credits = await c.own('GET', '/billing/credits');
    expect(credits.body.seats).toBeNull();
    expect(credits.body.included).toMatchObject({ credits: 1000, used: 10, remaining: 990 });
    expect((await c.own('GET', '/billing/usage')).body.credits).toMatchObject({ used: 10, remaining: 990 });
    const entitlements = await c.own('GET', '/entitlements');
    expect(
      (entitlements.body.entitlements as { feature: string }[]).find((e) => e.feature === 'credits'),
    ).toMatchObject({ used: 10, limit: 1000 });
  });

  it('on a prepaid-only plan a seat lets its holder through after the account is spent, and no one else', async () => {
    const c = await team(await seatPlan({ perSeat: 100, included: 0, prepaidOnly: true }), 2);
    const res = await c.report([
      { id: 'a1', quantity: 80, subject: 'user:ann' },
      { id: 'a2', quantity: 30, subject: 'user:ann' },
      { id: 'a3', quantity: 20, subject: 'user:ann' },
      { id: 'b1', quantity: 10, subject: 'user:bob' },
      { id: 'c1', quantity: 5, subject: 'user:cy' },
      { id: 'n1', quantity: 1 },
    ]);
    expect(res.body).toMatchObject({ accepted: 3, rejected: 3 });
    expect(res.body.rejected_events.map((e: { id: string; reason: string }) => [e.id, e.reason])).toEqual([
      ['a2', 'credits_exhausted'],
      ['c1', 'credits_exhausted'],
      ['n1', 'credits_exhausted'],
    ]);
    expect(await paidAhead(c.id)).toEqual({ a1: 80, a3: 20, b1: 10 });

    // check-access answers for the subject named: Bob has 90 left; Ann none; Cy no seat; no subject no seat.
    expect((await c.check('user:bob')).body).toMatchObject({ allowed: true });
    for (const subject of ['user:ann', 'user:cy', undefined])
      expect((await c.check(subject)).body).toMatchObject({ allowed: false, reason: 'credits_exhausted' });

    // The gateway's signed snapshot carries the seats, for its local decision (packages/gateway-client).
    const snapshot = await c.snapshot();
    expect(snapshot.seat_credits).toEqual({
      feature: 'credits',
      per_seat: 100,
      seats: 2,
      holders: expect.arrayContaining([
        { subject: 'user:ann', used: 100 },
        { subject: 'user:bob', used: 10 },
      ]),
    });
  });

  it('two API processes reporting at once never hand out more seats, nor more than a seat holds', async () => {
    const c = await team(await seatPlan({ perSeat: 10, included: 0, prepaidOnly: true }), 3);
    const subjects = ['u1', 'u2', 'u3', 'u4', 'u5', 'u6'];
    const reports = subjects.flatMap((s, i) =>
      [0, 1, 2].map((k) => c.report([{ id: `${s}-${k}`, quantity: 4, subject: s }], (i + k) % 2)),
    );
    const answers = await Promise.all(reports);
    const accepted = answers.reduce((sum, r) => sum + (r.body.accepted ?? 0), 0);
    const credits = await c.own('GET', '/billing/credits');
    const holders = credits.body.seats.holders as { subject: string; used: number }[];
    // Whole events only: a seat of 10 takes two of 4 (8); three seats, six events, 24 units.
    expect(holders).toHaveLength(3);
    for (const h of holders) expect(h.used).toBe(8);
    expect(accepted).toBe(6);
    const paid = await paidAhead(c.id);
    expect(Object.values(paid).reduce((a, b) => a + b, 0)).toBe(24);
    expect(Object.keys(paid).every((id) => holders.some((h) => id.startsWith(`${h.subject}-`)))).toBe(true);
  });
});
