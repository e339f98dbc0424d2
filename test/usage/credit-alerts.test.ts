import { addGrant } from '../../db/credit-ledger';
import { BillingEvent, Notification } from '../../db/entities';
import type { Dialect } from '../../db/orm';
import { sqlFor } from '../../db/raw-sql';
import { alertCount } from '../../services/credits/alert-count';
import { recordCrossedAlerts } from '../../services/credits/alerts';
import { startTestIdp, type TestIdp } from '../helpers/auth';
import { openTestDatabase } from '../helpers/db';
import { waitUntil } from '../helpers/eventually';
import { controlClock, seedSubscriber, startUsageApi, type UsageApi } from './fixtures';

const DAY = 86_400_000;
const T0 = Date.parse('2026-03-10T10:00:00.000Z');

describe.each<Dialect>(['sqlite', 'postgresql'])('usage alerts (%s)', (dialect) => {
  let db: Awaited<ReturnType<typeof openTestDatabase>>;
  let idp: TestIdp;
  let api: UsageApi;
  let n = 0;
  let clock: ReturnType<typeof controlClock>;

  beforeAll(async () => {
    [db, idp] = await Promise.all([openTestDatabase(dialect), startTestIdp()]);
    api = await startUsageApi(db.orm, idp);
    clock = controlClock(db.orm, T0);
  });
  afterEach(() => clock.set(T0));
  afterAll(async () => {
    await api?.stop();
    await Promise.all([db?.close(), idp?.stop()]);
  });

  /** A professional subscriber (500 included credits), their token, and their recorded alerts. */
  async function subscriber() {
    const email = `alerts-${dialect}-${++n}@example.com`;
    const { customer, sub } = await seedSubscriber(db.orm, {
      email,
      plan: 'professional',
      periodStart: new Date(T0 - 2 * DAY),
    });
    const token = await idp.token({ sub, email });
    const events = async () =>
      (
        await db.orm.em.fork().find(BillingEvent, { customerId: customer.id }, { orderBy: { type: 'asc' } })
      ).map((e) => e.type);
    const mails = async () =>
      (
        await db.orm.em.fork().find(Notification, { customerId: customer.id }, { orderBy: { kind: 'asc' } })
      ).map((m) => m.kind);
    const report = (id: string, quantity: number) =>
      api.request('POST', '/api/v1/billing/report_usage', {
        token,
        body: { events: [{ id, type: 'inference', quantity }] },
      });
    return { customer, token, events, mails, report };
  }

  it('tells a customer once a period when 80 % of the included credits is used, after the report that crossed it', async () => {
    const c = await subscriber();
    expect((await c.report('a', 399)).status).toBe(200);
    expect(await recordCrossedAlerts(db.orm.em.fork(), c.customer.id, new Date(T0))).toEqual([]);
    expect((await c.report('b', 1)).status).toBe(200);
    await waitUntil(c.events, (e) => e.length === 1, 'the alert to be recorded', 10_000, 50);
    expect(await c.events()).toEqual(['usage.threshold_reached']);
    expect(await c.mails()).toEqual(['usage_threshold_reached']);
    // Many callers at once, in this process and as another would: still one event and one mail.
    await Promise.all(
      Array.from({ length: 8 }, () => recordCrossedAlerts(db.orm.em.fork(), c.customer.id, new Date(T0))),
    );
    expect(await c.events()).toEqual(['usage.threshold_reached']);
    expect(await c.mails()).toEqual(['usage_threshold_reached']);
  });

  it('follows the customer’s own thresholds: a low balance and an overage amount', async () => {
    const c = await subscriber();
    const put = await api.request('PUT', '/api/v1/billing/alerts', {
      token: c.token,
      body: { included_percent: 100, balance_below: 100, overage_cents: 1 },
    });
    expect(put.body).toEqual({
      included_percent: { value: 100, source: 'customer' },
      balance_below: { value: 100, source: 'customer' },
      overage_cents: { value: 1, source: 'customer' },
    });
    await addGrant(sqlFor(db.orm.em.fork()), {
      customerId: c.customer.id,
      amount: 150,
      source: 'admin',
      effectiveAt: new Date(T0 - DAY),
      expiresAt: null,
      sourceKey: `admin:${c.customer.id}:alerts`,
    });
    // 500 included, then 60 of the 150 prepaid: 90 left, under 100.
    await recordCrossedAlerts(db.orm.em.fork(), c.customer.id, new Date(T0));
    expect(await c.events()).toEqual([]);
    await c.report('a', 560);
    await waitUntil(c.events, (e) => e.length === 2, 'two alerts', 10_000, 50);
    expect(await c.events()).toEqual(['credits.low', 'usage.threshold_reached']);
    expect(
      (await api.request('GET', '/api/v1/billing/alerts', { token: c.token })).body.balance_below,
    ).toEqual({
      value: 100,
      source: 'customer',
    });
    const bad = await api.request('PUT', '/api/v1/billing/alerts', {
      token: c.token,
      body: { included_percent: 0 },
    });
    expect(bad.status).toBe(400);
    expect(bad.body.error.details.field).toBe('body.included_percent');
  });

  /** Usage another API process stored for the customer today: this one is not told of it. */
  async function usageElsewhere(customerId: string, quantity: number) {
    const sql = sqlFor(db.orm.em.fork());
    await sql.run(
      `insert into daily_usage (customer_id, day, type, quantity, byok_quantity) values (?, ?, 'elsewhere', ?, 0)`,
      [customerId, new Date(T0).toISOString().slice(0, 10), quantity],
    );
  }
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

  /** Waits for a customer's alerts to be recorded, saying what this process counted for them if they are not. */
  const recorded = (c: { customer: { id: string }; events(): Promise<string[]> }, n: number) =>
    waitUntil(
      async () => ({ events: await c.events(), counted: alertCount(c.customer.id) }),
      (x) => x.events.length === n,
      'the alert to be recorded',
      30_000,
      50,
    );

  /** Waits for the look after a customer's first report, which found the next threshold `units` away. */
  const firstLook = (c: { customer: { id: string } }, units: number) =>
    waitUntil(
      async () => alertCount(c.customer.id),
      (k) => k?.unitsToNext === units,
      'the first look',
    );

  it('looks again only once the units reported since its last look reach the next threshold', async () => {
    const c = await subscriber();
    expect((await c.report('a', 1)).status).toBe(200);
    // 80 % of 500 included is 400: 399 units away.
    await firstLook(c, 399);
    // Another process takes the customer past 80 %; this one's next report is far short of its count.
    await usageElsewhere(c.customer.id, 450);
    expect((await c.report('b', 1)).status).toBe(200);
    // A look would come at the latest two seconds after the first one.
    await sleep(2500);
    expect(await c.events()).toEqual([]);
    expect(alertCount(c.customer.id)).toEqual({ unitsToNext: 399, since: 1 });
    // The report that reaches the count is looked at, and finds the crossing whoever made it.
    expect((await c.report('c', 398)).status).toBe(200);
    await recorded(c, 1);
    expect(await c.events()).toEqual(['usage.threshold_reached']);
  });

  it('compares a threshold the customer changes at their next report, however far the old one was', async () => {
    const c = await subscriber();
    expect((await c.report('a', 1)).status).toBe(200);
    await firstLook(c, 399);
    const put = await api.request('PUT', '/api/v1/billing/alerts', {
      token: c.token,
      body: { included_percent: 1 },
    });
    expect(put.status).toBe(200);
    expect((await c.report('b', 10)).status).toBe(200);
    await recorded(c, 1);
    expect(await c.events()).toEqual(['usage.threshold_reached']);
  });

  it('looks again once a grant it counted has expired, though the units since are few', async () => {
    const c = await subscriber();
    await api.request('PUT', '/api/v1/billing/alerts', { token: c.token, body: { balance_below: 100 } });
    await addGrant(sqlFor(db.orm.em.fork()), {
      customerId: c.customer.id,
      amount: 150,
      source: 'admin',
      effectiveAt: new Date(T0 - DAY),
      expiresAt: new Date(T0 + 3_600_000),
      sourceKey: `admin:${c.customer.id}:expiring`,
    });
    expect((await c.report('a', 1)).status).toBe(200);
    // The balance of 150 is 51 units above the line; 80 % of included 399 away.
    await firstLook(c, 51);
    clock.set(T0 + 3_600_001);
    expect((await c.report('b', 1)).status).toBe(200);
    await recorded(c, 1);
    expect(await c.events()).toEqual(['credits.low']);
  });
});
