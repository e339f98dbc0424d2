import { addGrant } from '../../db/credit-ledger';
import { BillingEvent, Notification } from '../../db/entities';
import type { Dialect } from '../../db/orm';
import { sqlFor } from '../../db/raw-sql';
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

  beforeAll(async () => {
    [db, idp] = await Promise.all([openTestDatabase(dialect), startTestIdp()]);
    api = await startUsageApi(db.orm, idp);
    controlClock(db.orm, T0);
  });
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
});
