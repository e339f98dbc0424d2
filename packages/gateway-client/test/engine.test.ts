import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Customer, UsageEvent } from '../../../db/entities';
import type { Dialect } from '../../../db/orm';
import { signDelivery } from '../../../integrations/webhooks/standard-webhooks';
import { startTestApi, type TestApi } from '../../../test/helpers/api';
import { startTestIdp, type TestIdp } from '../../../test/helpers/auth';
import { openTestDatabase } from '../../../test/helpers/db';
import { seedSubscriber } from '../../../test/usage/fixtures';
import { GatewayClient, type GatewayClientOptions } from '../src';
import type { SpooledEvent } from '../src/spool';

const DAY = 86_400_000;
const WEBHOOK_SECRET = `whsec_${Buffer.alloc(32, 7).toString('base64')}`;

/** The gateway client against the engine's API on both databases: snapshots, reports, restarts, access changes. */
describe.each<Dialect>(['sqlite', 'postgresql'])('the gateway client against the engine on %s', (dialect) => {
  let idp: TestIdp;
  let db: Awaited<ReturnType<typeof openTestDatabase>>;
  let api: TestApi;
  let gateway: string;
  let admin: string;
  let n = 0;
  const dirs: string[] = [];
  const clients: GatewayClient[] = [];

  beforeAll(async () => {
    [idp, db] = await Promise.all([startTestIdp(), openTestDatabase(dialect)]);
    api = await startTestApi({ orm: db.orm, env: { OIDC_ISSUER: idp.issuer, OIDC_JWKS_URL: idp.jwksUrl } });
    gateway = await idp.token({ sub: 'gw-client', roles: ['billing-gateway'] });
    admin = await idp.token({ sub: 'admin-gw', email: 'boss@example.com', roles: ['admin'] });
  });
  afterEach(async () => {
    for (const c of clients.splice(0)) await c.close(100);
  });
  afterAll(async () => {
    await api?.stop();
    await Promise.all([idp?.stop(), db?.close()]);
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  const spoolDir = () => {
    const d = mkdtempSync(join(tmpdir(), 'gw-client-'));
    dirs.push(d);
    return d;
  };
  async function client(opts: Partial<GatewayClientOptions> = {}) {
    const c = await GatewayClient.start({
      baseUrl: api.url,
      token: gateway,
      spoolDir: opts.spoolDir ?? spoolDir(),
      refreshSeconds: 60,
      flushIntervalMs: 20,
      webhookSecret: WEBHOOK_SECRET,
      ...opts,
    });
    clients.push(c);
    return c;
  }
  async function subscriber(plan = 'starter') {
    const email = `gwc-${dialect}-${++n}@example.com`;
    const { customer } = await seedSubscriber(db.orm, {
      email,
      plan,
      periodStart: new Date(Date.now() - DAY),
    });
    return { email, customerId: customer.id };
  }
  const stored = (ids: string[]) => db.orm.em.fork().count(UsageEvent, { eventId: { $in: ids } });
  const engineCheck = async (email: string, feature: string) =>
    (
      await api.request(
        'GET',
        `/api/v1/entitlements/check?feature=${feature}&customer_email=${encodeURIComponent(email)}`,
        { token: gateway },
      )
    ).body;

  it('decides from a verified snapshot as the engine does, and counts down what it records before sending it', async () => {
    const { email } = await subscriber();
    const c = await client({ flushIntervalMs: 60_000 });
    for (const feature of ['chat', 'byok', 'api_calls']) {
      const engine = await engineCheck(email, feature);
      expect(await c.check({ email }, feature)).toEqual({
        allowed: engine.allowed,
        reason: engine.reason,
        limit: engine.limit,
        remaining: engine.remaining,
      });
    }
    const ids: string[] = [];
    for (let i = 0; i < 30; i++) ids.push(await c.record({ email }, { type: 'inference', quantity: 2 }));
    // Nothing sent yet (the flush interval is a minute): the client counted them itself.
    expect(c.stats().pending).toBe(30);
    expect(c.decide({ email }, 'api_calls')).toMatchObject({ allowed: true, limit: 1000, remaining: 940 });
    expect(c.decide({ email }, 'api_calls', { quantity: 941 })).toMatchObject({
      allowed: false,
      reason: 'allowance_exhausted',
    });
    await c.flush();
    expect(c.stats()).toMatchObject({ pending: 0, sent: 30, rejected: 0 });
    expect(await stored(ids)).toBe(30);
    expect(await engineCheck(email, 'api_calls')).toMatchObject({ remaining: 940 });
  });

  it("refuses a subject past its budget from the snapshot, counting what it recorded, as the engine's report does", async () => {
    const { email } = await subscriber();
    const customer = await db.orm.em.fork().findOneOrFail(Customer, { email });
    const own = await idp.token({ sub: customer.userId, email });
    const put = await api.request('PUT', '/api/v1/billing/budgets/proj-a', {
      token: own,
      body: { per: 'day', limit_units: 10 },
    });
    expect(put.status).toBe(200);
    const refused: string[] = [];
    const c = await client({ flushIntervalMs: 60_000, onRejected: (_e, reason) => refused.push(reason) });
    const proj = (quantity: number, subject = 'proj-a') => ({ quantity, subject });
    expect(await c.check({ email }, 'api_calls', proj(10))).toMatchObject({ allowed: true, reason: 'ok' });
    await c.record({ email }, { type: 'inference', quantity: 8, subject: 'proj-a' });
    // Counted here before it is sent: two units are left of proj-a's ten, and other subjects are not held.
    expect(c.decide({ email }, 'api_calls', proj(3))).toEqual({
      allowed: false,
      reason: 'budget_reached',
      limit: 10,
      remaining: 2,
    });
    expect(c.decide({ email }, 'api_calls', proj(2))).toMatchObject({ allowed: true, reason: 'ok' });
    expect(c.decide({ email }, 'api_calls', proj(3, 'proj-b'))).toMatchObject({
      allowed: true,
      reason: 'ok',
    });
    // Past the budget anyway (another gateway's share): the engine refuses it at the report.
    await c.record({ email }, { type: 'inference', quantity: 3, subject: 'proj-a' });
    await c.flush();
    expect(refused).toEqual(['budget_reached']);
    // A fresh snapshot carries the engine's count.
    const fresh = await client();
    expect(await fresh.check({ email }, 'api_calls', proj(3))).toEqual({
      allowed: false,
      reason: 'budget_reached',
      limit: 10,
      remaining: 2,
    });
    expect(() => c.decide({ email }, 'api_calls', { subject: 'no spaces' })).toThrow(RangeError);
  });

  it('sends after a restart what the engine never answered, and an event sent twice is stored once', async () => {
    const { email } = await subscriber();
    const dir = spoolDir();
    // The engine out of reach: nothing is answered, everything stays in the spool.
    const offline = await client({ spoolDir: dir, baseUrl: 'http://127.0.0.1:9', requestTimeoutMs: 200 });
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push(await offline.record({ email }, { type: 'inference', quantity: 1 }));
    await offline.close(300);
    clients.splice(clients.indexOf(offline), 1);
    const unanswered = join(dir, 'spool.jsonl.before');
    copyFileSync(join(dir, 'spool.jsonl'), unanswered);

    // Nothing goes out until flush() below: a send racing the snapshot's fetch would be counted twice
    // (stored at the engine and still pending here, which errs towards refusing, never overspending).
    const online = await client({ spoolDir: dir, flushIntervalMs: 60_000 });
    // Counted against the customer before a single one is sent.
    expect((await online.check({ email }, 'api_calls')).remaining).toBe(995);
    await online.flush();
    expect(online.stats()).toMatchObject({ pending: 0, sent: 5 });
    expect(await stored(ids)).toBe(5);
    await online.close();
    clients.splice(clients.indexOf(online), 1);

    // A crash lost the acknowledgements (they are not synced): the same events go out once more.
    copyFileSync(unanswered, join(dir, 'spool.jsonl'));
    const again = await client({ spoolDir: dir });
    expect(again.stats().pending).toBe(5);
    await again.flush();
    expect(again.stats()).toMatchObject({ pending: 0, sent: 5, rejected: 0 });
    expect(await stored(ids)).toBe(5);
    expect(await engineCheck(email, 'api_calls')).toMatchObject({ remaining: 995 });
  });

  it('hands back what the engine refuses for good, and does not send it again', async () => {
    const { email } = await subscriber();
    const refused: [SpooledEvent, string][] = [];
    const c = await client({ onRejected: (e, reason) => refused.push([e, reason]) });
    const good = await c.record({ email }, { type: 'inference', quantity: 1 });
    const bad = await c.record({ email }, { type: 'teleport', quantity: 1 });
    const nobody = await c.record(
      { email: `nobody-${dialect}@example.com` },
      { type: 'inference', quantity: 1 },
    );
    await c.flush();
    expect(refused.map(([e, r]) => [e.id, r]).sort()).toEqual(
      [
        [bad, 'unknown_type'],
        [nobody, 'customer_not_found'],
      ].sort(),
    );
    expect(c.stats()).toMatchObject({ pending: 0, sent: 3, rejected: 2 });
    expect(await stored([good, bad, nobody])).toBe(1);
  });

  it('waits as told when the engine sheds reports, and every event is stored once', async () => {
    const { email } = await subscriber('professional');
    const tight = await startTestApi({
      orm: db.orm,
      env: { OIDC_ISSUER: idp.issuer, OIDC_JWKS_URL: idp.jwksUrl, USAGE_REPORTS_IN_FLIGHT_MAX: '1' },
    });
    try {
      const gateways = await Promise.all(
        Array.from({ length: 4 }, () => client({ baseUrl: tight.url, maxBatch: 1, flushIntervalMs: 5 })),
      );
      const ids = (
        await Promise.all(
          gateways.map(async (g) => {
            const mine: string[] = [];
            for (let i = 0; i < 40; i++)
              mine.push(await g.record({ email }, { type: 'inference', quantity: 1 }));
            await g.flush();
            return mine;
          }),
        )
      ).flat();
      const stats = gateways.map((g) => g.stats());
      expect(stats.every((s) => s.pending === 0 && s.rejected === 0)).toBe(true);
      // Four reporters against a ceiling of one: some reports were shed and sent again after Retry-After.
      expect(stats.reduce((a, s) => a + s.retries, 0)).toBeGreaterThan(0);
      expect(await stored(ids)).toBe(160);
    } finally {
      for (const c of clients.splice(0)) await c.close(100);
      await tight.stop();
    }
  }, 60_000);

  it('asks for a renewed token after a 401, for snapshots and for reports', async () => {
    const { email } = await subscriber();
    const asked: boolean[] = [];
    const tokenOf = async (renew: boolean) => {
      asked.push(renew);
      return renew ? gateway : 'expired-token';
    };
    const forSnapshots = await client({ token: tokenOf });
    expect(await forSnapshots.check({ email }, 'chat')).toMatchObject({ allowed: true });
    expect(asked).toEqual([false, true]);

    asked.length = 0;
    const forReports = await client({ token: tokenOf });
    const id = await forReports.record({ email }, { type: 'inference', quantity: 1 });
    await forReports.flush();
    expect(asked).toEqual([false, true]);
    expect(forReports.stats()).toMatchObject({ pending: 0, retries: 1 });
    expect(await stored([id])).toBe(1);
  });

  it('forgets customers it no longer asks about once the engine has answered for their usage', async () => {
    const asked = await subscriber();
    const others = await Promise.all([subscriber(), subscriber(), subscriber()]);
    const c = await client({ engineStalenessSeconds: 0.05 });
    await c.check({ email: asked.email }, 'chat');
    for (const o of [asked, ...others])
      await c.record({ email: o.email }, { type: 'inference', quantity: 1 });
    expect(c.stats().customers).toBe(4);
    await c.flush();
    // The sweep runs once a second: the three never asked about go, the one with a live snapshot stays.
    for (let i = 0; i < 40 && c.stats().customers > 1; i++) await new Promise((r) => setTimeout(r, 100));
    expect(c.stats()).toMatchObject({ customers: 1, pending: 0 });
    expect(c.decide({ email: asked.email }, 'api_calls')).toMatchObject({ allowed: true, remaining: 999 });
  });

  it('drops a snapshot on a signed access.changed, and the next question sees the change', async () => {
    const { email, customerId } = await subscriber();
    const c = await client();
    expect(await c.check({ email }, 'byok')).toMatchObject({ allowed: false, reason: 'feature_not_in_plan' });
    const granted = await api.request(
      'POST',
      `/api/v1/admin/billing/customers/${encodeURIComponent(email)}/entitlement-overrides`,
      { token: admin, body: { feature: 'byok', grant: true, reason: 'gateway client test' } },
    );
    expect(granted.status).toBe(201);
    // The snapshot is a minute fresh: without the webhook, the old answer stands.
    expect(c.decide({ email }, 'byok')).toMatchObject({ allowed: false });

    const body = JSON.stringify({
      id: `bev_gwc_${n}`,
      type: 'access.changed',
      timestamp: new Date().toISOString(),
      customer: { id: customerId, email, user_id: null },
      data: { cause: 'override_added' },
    });
    const headers = signDelivery([WEBHOOK_SECRET], { id: `bev_gwc_${n}`, at: new Date(), body });
    expect(() => c.handleWebhook(body.replace('override_added', 'x'), { ...headers })).toThrow(/signature/);
    expect(c.decide({ email }, 'byok')).not.toBeNull();
    expect(c.handleWebhook(body, { ...headers }).type).toBe('access.changed');
    expect(c.decide({ email }, 'byok')).toBeNull();
    expect(await c.check({ email }, 'byok')).toMatchObject({ allowed: true, reason: 'ok' });
  });
});
