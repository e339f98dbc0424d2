import { QuotaDenialDay, UsageEvent, UsageRollup } from '../../db/entities';
import type { Dialect } from '../../db/orm';
import { storeQuotaDenials } from '../../services/operations/quota-denials';
import { startTestApi, type TestApi } from '../helpers/api';
import { startTestIdp, type TestIdp } from '../helpers/auth';
import { openTestDatabase } from '../helpers/db';
import { seedSubscriber } from '../usage/seed-subscriber';

const DAY = 86_400_000;

describe.each<Dialect>(['sqlite', 'postgresql'])("the console's usage health on %s", (dialect) => {
  let idp: TestIdp;
  let db: Awaited<ReturnType<typeof openTestDatabase>>;
  let api: TestApi;
  let admin: string;
  const now = Date.now();
  const dayOf = (ms: number) => new Date(ms).toISOString().slice(0, 10);

  beforeAll(async () => {
    [idp, db] = await Promise.all([startTestIdp(), openTestDatabase(dialect)]);
    api = await startTestApi({ orm: db.orm, env: { OIDC_ISSUER: idp.issuer, OIDC_JWKS_URL: idp.jwksUrl } });
    admin = await idp.token({ sub: 'admin-1', email: 'boss@example.com', roles: ['admin'] });
    // Denials of earlier processes, already stored: three on report_usage two days ago.
    const em = db.orm.em.fork();
    em.create(QuotaDenialDay, { day: dayOf(now - 2 * DAY), plan: 'starter', site: 'report', count: 3 });
    await em.flush();
    // Whatever other tests in this process counted belongs to their databases, not to this one.
    await storeQuotaDenials(db.orm.em.fork(), new Date());
    await db.orm.em.fork().nativeDelete(QuotaDenialDay, { day: dayOf(now) });
  });
  afterAll(async () => {
    await api?.stop();
    await Promise.all([db?.close(), idp?.stop()]);
  });

  it('counts the requests refused for a spent daily quota per day, where they happened and per plan', async () => {
    const email = `capped-${dialect}@example.com`;
    await seedSubscriber(db.orm, { email, plan: 'trial', periodStart: new Date(now - DAY) });
    const token = await idp.token({ sub: `kc-${email}`, email });
    const report = (id: string, quantity: number) =>
      api.request('POST', '/api/v1/billing/report_usage', {
        token,
        body: { id, type: 'inference', quantity },
      });
    expect((await report('cap-1', 100)).status).toBe(200);
    expect((await report('cap-2', 1)).status).toBe(429);
    expect((await report('cap-3', 1)).status).toBe(429);
    const check = await api.request('POST', '/api/v1/subscriptions/check-access/chat', { token });
    expect(check.body).toMatchObject({ allowed: false, reason: 'daily_quota_exhausted' });

    const res = await api.request('GET', '/api/v1/admin/usage/quota-denials?days=7', { token: admin });
    expect(res.status).toBe(200);
    expect(res.body.days).toHaveLength(7);
    expect(res.body.days.at(-1)).toEqual({ day: dayOf(now), report: 2, check_access: 1, total: 3 });
    expect(res.body.days.at(-3)).toEqual({ day: dayOf(now - 2 * DAY), report: 3, check_access: 0, total: 3 });
    expect(res.body).toMatchObject({ total: 6, by_plan: expect.objectContaining({ trial: 1, starter: 3 }) });
    // report_usage's refusals carry the plan the telemetry counter was given, whatever it is.
    expect(Object.values(res.body.by_plan as Record<string, number>).reduce((a, n) => a + n, 0)).toBe(6);
    // Asked again, nothing is added twice.
    const again = await api.request('GET', '/api/v1/admin/usage/quota-denials?days=7', { token: admin });
    expect(again.body.total).toBe(6);
  });

  it('shows the rollup lag and backlog from the database, and why the workflow gave no answer', async () => {
    const email = `rolled-${dialect}@example.com`;
    const { customer } = await seedSubscriber(db.orm, {
      email,
      plan: 'professional',
      periodStart: new Date(now - DAY),
    });
    const em = db.orm.em.fork();
    em.create(UsageRollup, {
      id: 'rlp_health_1',
      customer,
      type: 'inference',
      windowStart: new Date(now - 3_600_000),
      windowEnd: new Date(now - 3_300_000),
      quantity: 5,
      identifier: 'health-1',
      stripeReportedAt: new Date(now - 3_000_000),
      lagoReportedAt: null,
      createdAt: new Date(now - 3_200_000),
    });
    em.create(UsageEvent, {
      id: 'uev_health_1',
      customer,
      eventId: 'health-1',
      reporter: 'gateway',
      type: 'inference',
      quantity: 1,
      occurredAt: new Date(now - 600_000),
    });
    await em.flush();
    const res = await api.request('GET', '/api/v1/admin/usage/rollup-status', { token: admin });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      last_rollup_at: new Date(now - 3_200_000).toISOString(),
      rollups_not_in_stripe: 0,
      rollups_not_in_lago: 1,
      oldest_unreported_rollup_at: new Date(now - 3_200_000).toISOString(),
      workflow: { reachable: false, error: expect.any(String) },
    });
    // The capped customer's 100 units and this event wait; the oldest is this test's, ten minutes old.
    expect(res.body.events_not_rolled_up).toBeGreaterThanOrEqual(1);
    expect(res.body.lag_seconds).toBeGreaterThanOrEqual(600);
  });

  it('says why no dunning run is listed when Temporal does not answer', async () => {
    const res = await api.request('GET', '/api/v1/admin/dunning-runs', { token: admin });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      reachable: false,
      error: expect.stringMatching(/^Temporal could not be asked for the dunning runs: /),
      runs: [],
    });
  });

  it('answers 403 to anyone but an admin', async () => {
    const viewer = await idp.token({ sub: 'v-1', email: 'v@example.com', roles: ['viewer'] });
    for (const path of [
      '/api/v1/admin/usage/quota-denials',
      '/api/v1/admin/usage/rollup-status',
      '/api/v1/admin/dunning-runs',
    ]) {
      expect((await api.request('GET', path, { token: viewer })).status).toBe(403);
    }
  });
});
