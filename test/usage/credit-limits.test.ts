import { addGrant } from '../../db/credit-ledger';
import type { Dialect } from '../../db/orm';
import { sqlFor } from '../../db/raw-sql';
import { startTestIdp, type TestIdp } from '../helpers/auth';
import { openTestDatabase } from '../helpers/db';
import { controlClock, seedCreditPlans, seedSubscriber, startUsageApi, type UsageApi } from './fixtures';

const DAY = 86_400_000;
const T0 = Date.parse('2026-03-10T10:00:00.000Z');
const PERIOD_START = new Date(T0 - 5 * DAY);
// seedSubscriber opens a thirty-day period.
const PERIOD_END = new Date(PERIOD_START.getTime() + 30 * DAY);
const REPORT = '/api/v1/billing/report_usage';

describe.each<Dialect>(['sqlite', 'postgresql'])('spend caps and prepaid-only plans (%s)', (dialect) => {
  let db: Awaited<ReturnType<typeof openTestDatabase>>;
  let idp: TestIdp;
  let api: UsageApi;
  let clock: ReturnType<typeof controlClock>;

  beforeAll(async () => {
    [db, idp] = await Promise.all([openTestDatabase(dialect), startTestIdp()]);
    api = await startUsageApi(db.orm, idp);
    clock = controlClock(db.orm, T0);
    await seedCreditPlans(db.orm, 'limits', 100);
  });
  afterAll(async () => {
    await api?.stop();
    await Promise.all([db?.close(), idp?.stop()]);
  });

  /** A new subscriber to one of the test's plans, and calls made with their own token. */
  async function subscriber(name: string, plan: 'limits-prepaid' | 'limits-overage') {
    const email = `${name}-${dialect}@example.com`;
    const { customer, sub } = await seedSubscriber(db.orm, { email, plan, periodStart: PERIOD_START });
    const token = await idp.token({ sub, email });
    const sql = sqlFor(db.orm.em.fork());
    let n = 0;
    return {
      customer,
      sql,
      report: (quantities: number[]) =>
        api.request('POST', REPORT, {
          token,
          body: {
            events: quantities.map((quantity) => ({ id: `${name}-${++n}`, type: 'inference', quantity })),
          },
        }),
      credits: (path: string) => api.request('GET', `/api/v1${path}`, { token }),
      access: (service = 'chat') =>
        api.request('POST', `/api/v1/subscriptions/check-access/${service}`, { token }),
      setCap: (cents: number, mode: 'block' | 'notify') =>
        sql.run(
          `insert into credit_settings (customer_id, spend_cap_cents, spend_cap_mode, updated_at) values (?, ?, ?, ?)
           on conflict (customer_id) do update set spend_cap_cents = excluded.spend_cap_cents, spend_cap_mode = excluded.spend_cap_mode`,
          [customer.id, cents, mode, sql.date(new Date())],
        ),
    };
  }

  /** A moment later than the two-second memo of a customer's credit standing. */
  const later = (() => {
    let at = T0;
    return () => clock.set((at += 3000));
  })();

  it('a prepaid-only customer at zero: check-access says credits_exhausted until the period ends, and usage is refused with Retry-After', async () => {
    const c = await subscriber('prepaid-zero', 'limits-prepaid');
    later();
    expect((await c.report([100])).status).toBe(200);
    const access = await c.access();
    expect(access.body).toMatchObject({
      allowed: false,
      reason: 'credits_exhausted',
      resets_at: PERIOD_END.toISOString(),
    });
    // Usage on the customer's own provider key is never counted, so never refused for credits.
    expect((await c.access('byok')).body).toMatchObject({ allowed: true, reason: 'ok' });

    const refused = await c.report([1, 2]);
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get('retry-after'))).toBe((PERIOD_END.getTime() - clock.now()) / 1000);
    expect(refused.body.error).toMatchObject({ code: 'credits_exhausted' });
    expect(refused.body.error.details).toMatchObject({
      accepted: 0,
      rejected: 2,
      rejected_events: [
        { index: 0, reason: 'credits_exhausted' },
        { index: 1, reason: 'credits_exhausted' },
      ],
    });
    const [stored] = await c.sql.run<{ n: unknown }>(
      'select count(*) as n from usage_events where customer_id = ?',
      [c.customer.id],
    );
    expect(Number(stored?.n)).toBe(1);
  });

  it('a grant lets a prepaid-only customer use exactly its credits, then refuses again', async () => {
    const c = await subscriber('prepaid-grant', 'limits-prepaid');
    later();
    await c.report([100]);
    await addGrant(c.sql, {
      customerId: c.customer.id,
      amount: 5,
      source: 'admin',
      effectiveAt: new Date(clock.now() - 1000),
      expiresAt: null,
      sourceKey: `admin:${c.customer.id}:1`,
    });
    later();
    expect((await c.access()).body).toMatchObject({ allowed: true, reason: 'ok' });
    const partly = await c.report([3, 3, 2]);
    expect(partly.status).toBe(200);
    expect(partly.body).toMatchObject({
      accepted: 2,
      rejected_events: [{ index: 1, reason: 'credits_exhausted' }],
    });
    later();
    expect((await c.access()).body).toMatchObject({ allowed: false, reason: 'credits_exhausted' });
  });

  it('a blocking cap refuses overage that would pass it, and check-access says spend_cap_reached', async () => {
    const c = await subscriber('cap-block', 'limits-overage');
    await c.setCap(3, 'block');
    later();
    // 100 included, then overage at 150¢ per thousand: 20 units cost exactly 3¢, a 21st takes it past.
    const first = await c.report([100, 20, 1]);
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({
      accepted: 2,
      rejected_events: [{ index: 2, reason: 'spend_cap_reached' }],
    });
    later();
    expect((await c.access()).body).toMatchObject({
      allowed: false,
      reason: 'spend_cap_reached',
      resets_at: PERIOD_END.toISOString(),
    });
    const refused = await c.report([1]);
    expect(refused.status).toBe(429);
    expect(refused.body.error.code).toBe('spend_cap_reached');
  });

  it('a blocking cap of 0 stores no overage, not even units whose cost rounds to 0¢, and says reached once credits are used', async () => {
    const c = await subscriber('cap-zero', 'limits-overage');
    await c.setCap(0, 'block');
    later();
    // Included credits still pay under a cap of nothing.
    expect((await c.report([100])).body).toMatchObject({ accepted: 1, rejected: 0 });
    // One unit of overage costs 0.15¢ and two 0.3¢: each rounds to 0¢ on the bill, yet passes a cap of 0.
    const refused = await c.report([1, 2]);
    expect(refused.status).toBe(429);
    expect(refused.body.error.details).toMatchObject({
      accepted: 0,
      rejected_events: [
        { index: 0, reason: 'spend_cap_reached' },
        { index: 1, reason: 'spend_cap_reached' },
      ],
    });
    later();
    expect((await c.access()).body).toMatchObject({ allowed: false, reason: 'spend_cap_reached' });
    expect((await c.credits('/billing/spend-cap')).body).toMatchObject({
      amount_cents: 0,
      mode: 'block',
      period_overage_units: 0,
      period_overage_cents: 0,
      reached: true,
    });
  });

  it('a cap stored as notifying under an admin’s maximum still blocks at the maximum', async () => {
    const c = await subscriber('cap-max-notify', 'limits-overage');
    // A row as one was stored before a maximum forced the cap to block: notify at 50¢, maximum 3¢.
    await c.sql.run(
      `insert into credit_settings (customer_id, spend_cap_cents, spend_cap_mode, spend_cap_max_cents, updated_at)
       values (?, 50, 'notify', 3, ?)`,
      [c.customer.id, c.sql.date(new Date())],
    );
    later();
    // 100 included, then 20 units cost exactly the maximum's 3¢; a 21st would pass it.
    const first = await c.report([100, 20, 1]);
    expect(first.body).toMatchObject({
      accepted: 2,
      rejected_events: [{ index: 2, reason: 'spend_cap_reached' }],
    });
    later();
    expect((await c.access()).body).toMatchObject({ allowed: false, reason: 'spend_cap_reached' });
    expect((await c.credits('/billing/spend-cap')).body).toMatchObject({
      amount_cents: 3,
      mode: 'block',
      max_cents: 3,
      period_overage_units: 20,
      reached: true,
    });
  });

  it('a notifying cap never refuses usage', async () => {
    const c = await subscriber('cap-notify', 'limits-overage');
    await c.setCap(0, 'notify');
    later();
    const res = await c.report([100, 500]);
    expect(res.body).toMatchObject({ accepted: 2, rejected: 0 });
    later();
    expect((await c.access()).body).toMatchObject({ allowed: true, reason: 'ok' });
  });
});
