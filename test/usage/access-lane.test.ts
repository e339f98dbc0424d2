import type { MikroORM } from '@mikro-orm/core';
import { openDatabase, type Dialect } from '../../db/orm';
import { sqlFor } from '../../db/raw-sql';
import { startTestIdp, type TestIdp } from '../helpers/auth';
import { startTestApi, type TestApi } from '../helpers/api';
import { openTestDatabase } from '../helpers/db';
import { testKeyring } from '../helpers/byok-keys';
import { seedSubscriber } from './fixtures';

const DAY = 86_400_000;

describe.each<Dialect>(['sqlite', 'postgresql'])('an API serving only the access lane (%s)', (dialect) => {
  let db: Awaited<ReturnType<typeof openTestDatabase>>;
  let idp: TestIdp;
  let laneOrm: MikroORM;
  let all: TestApi;
  let lane: TestApi;
  let gateway: string;
  let n = 0;

  beforeAll(async () => {
    [db, idp] = await Promise.all([openTestDatabase(dialect), startTestIdp()]);
    const oidc = { OIDC_ISSUER: idp.issuer, OIDC_JWKS_URL: idp.jwksUrl };
    // A process of its own in production: its own connections, and so its own memos.
    laneOrm = await openDatabase(db.url, { migrate: false });
    // One master key, as the processes of one engine share: the snapshots' signing key derives from it.
    const keyring = testKeyring();
    all = await startTestApi({ orm: db.orm, env: oidc, keyring });
    lane = await startTestApi({ orm: laneOrm, env: { ...oidc, API_SERVES: 'access' }, keyring });
    gateway = await idp.token({ sub: 'svc-gateway', email: 'gw@example.com', roles: ['billing-gateway'] });
  });
  afterAll(async () => {
    await Promise.all([all?.stop(), lane?.stop()]);
    await laneOrm?.close();
    await Promise.all([db?.close(), idp?.stop()]);
  });

  async function subscriber() {
    const email = `lane-${dialect}-${++n}@example.com`;
    const { customer } = await seedSubscriber(db.orm, {
      email,
      plan: 'professional',
      periodStart: new Date(Date.now() - 3 * DAY),
    });
    return { email, id: customer.id, q: `customer_email=${encodeURIComponent(email)}` };
  }

  it("answers the gateway's questions before a model call as an API serving all does", async () => {
    const c = await subscriber();
    const asked: [string, string][] = [
      ['POST', `/api/v1/subscriptions/check-access/api?${c.q}`],
      ['GET', `/api/v1/entitlements/check?feature=api_calls&${c.q}`],
      ['GET', `/api/v1/entitlements?${c.q}`],
      ['GET', '/api/v1/entitlements/jwks.json'],
    ];
    for (const [method, path] of asked) {
      const [fromAll, fromLane] = await Promise.all([
        all.request(method, path, { token: gateway }),
        lane.request(method, path, { token: gateway }),
      ]);
      expect({ path, status: fromLane.status }).toEqual({ path, status: 200 });
      expect(fromLane.body).toEqual(fromAll.body);
    }
    const posted = await lane.request('POST', `/api/v1/entitlements/check?${c.q}`, {
      token: gateway,
      body: { feature: 'api_calls', quantity: 1 },
    });
    expect(posted.status).toBe(200);
    expect(posted.body).toMatchObject({ allowed: true });
    const snapshot = await lane.request('GET', `/api/v1/entitlements/snapshot?${c.q}`, { token: gateway });
    expect(snapshot.status).toBe(200);
    expect(typeof snapshot.body.token).toBe('string');
  });

  it('sees the usage the other APIs stored', async () => {
    const c = await subscriber();
    const events = [1, 2, 3].map((i) => ({ id: `lane-${i}`, type: 'inference', quantity: 1 }));
    const reported = await all.request('POST', '/api/v1/billing/report_usage', {
      token: gateway,
      body: { customer_email: c.email, events },
    });
    expect(reported.status).toBe(200);
    const check = await lane.request('GET', `/api/v1/entitlements/check?feature=api_calls&${c.q}`, {
      token: gateway,
    });
    expect(check.status).toBe(200);
    expect(check.body).toMatchObject({ used: 3 });
  });

  it('refuses everything else as no route, names the lane, and stores nothing', async () => {
    const c = await subscriber();
    const elsewhere: [string, string, unknown?][] = [
      [
        'POST',
        '/api/v1/billing/report_usage',
        { customer_email: c.email, events: [{ id: 'x', type: 'inference', quantity: 1 }] },
      ],
      ['POST', '/api/v1/billing/report_usage?customer_email=x', {}],
      ['GET', `/api/v1/billing/subscription`],
      ['GET', '/api/v1/subscriptions/my-access'],
      ['GET', '/api/v1/admin/billing/stats'],
      ['DELETE', '/api/v1/admin/billing/customers/x@example.com/entitlement-overrides/y'],
      ['POST', '/api/v1/stripe/webhook', {}],
      // Paths that try to reach another route through the lane's own.
      ['POST', '/api/v1/subscriptions/check-access/api/../../../billing/report_usage', {}],
      ['POST', '/api/v1/subscriptions/check-access/%2e%2e%2f%2e%2e%2fbilling%2freport_usage/x', {}],
      ['GET', '/api/v1/entitlements/check/../../billing/usage'],
      ['GET', '/openapi.json/../docs'],
      ['GET', '/docs'],
      ['GET', '/'],
    ];
    for (const [method, path, body] of elsewhere) {
      const res = await lane.request(method, path, { token: gateway, body });
      expect({ method, path, status: res.status, code: res.body?.error?.code }).toEqual({
        method,
        path,
        status: 404,
        code: 'route_not_found',
      });
      expect(res.body.error.message).toContain('API_SERVES=access');
    }
    const stored = await sqlFor(db.orm.em.fork()).run<{ n: unknown }>(
      'select count(*) as n from usage_events where customer_id = ?',
      [c.id],
    );
    expect(Number(stored[0]?.n)).toBe(0);
    // The same report through an API serving all is taken: the lane refused it for where it went.
    const taken = await all.request('POST', '/api/v1/billing/report_usage', {
      token: gateway,
      body: { customer_email: c.email, events: [{ id: 'x', type: 'inference', quantity: 1 }] },
    });
    expect(taken.status).toBe(200);
  });

  it('is ready while its database answers, Temporal being none of its business', async () => {
    expect((await lane.request('GET', '/healthz')).status).toBe(200);
    // Temporal is out of reach for both (the test APIs' client): the lane is ready, the API serving all not.
    const [fromLane, fromAll] = await Promise.all([
      lane.request('GET', '/readyz'),
      all.request('GET', '/readyz'),
    ]);
    expect(fromLane.status).toBe(200);
    expect(fromLane.body).toEqual({
      status: 'ready',
      checks: { database: 'ok', temporal: 'not_needed', worker: 'not_needed' },
    });
    expect(fromAll.status).toBe(503);
  });
});
