import { createLocalJWKSet, jwtVerify } from 'jose';
import { AuditEntry } from '../../db/entities';
import type { Dialect } from '../../db/orm';
import { sqlFor } from '../../db/raw-sql';
import { startTestApi, type TestApi } from '../helpers/api';
import { startTestIdp, type TestIdp } from '../helpers/auth';
import { openTestDatabase } from '../helpers/db';
import { seedSubscriber } from '../usage/fixtures';

const DAY = 86_400_000;

/** Entitlements through the API: the caller's, the gateway's checks and snapshots, admins' overrides. */
describe.each<Dialect>(['sqlite', 'postgresql'])('entitlements on %s', (dialect) => {
  let idp: TestIdp;
  let db: Awaited<ReturnType<typeof openTestDatabase>>;
  let api: TestApi;
  let admin: string;
  let gateway: string;
  let n = 0;

  beforeAll(async () => {
    [idp, db] = await Promise.all([startTestIdp(), openTestDatabase(dialect)]);
    api = await startTestApi({ orm: db.orm, env: { OIDC_ISSUER: idp.issuer, OIDC_JWKS_URL: idp.jwksUrl } });
    admin = await idp.token({ sub: 'admin-ent', email: 'boss@example.com', roles: ['admin'] });
    gateway = await idp.token({ sub: 'gw', roles: ['billing-gateway'] });
  });
  afterAll(async () => {
    await api?.stop();
    await Promise.all([idp?.stop(), db?.close()]);
  });

  async function subscriber(plan = 'starter') {
    const email = `ent-${dialect}-${++n}@example.com`;
    const { customer, sub } = await seedSubscriber(db.orm, {
      email,
      plan,
      periodStart: new Date(Date.now() - DAY),
    });
    const token = await idp.token({ sub, email });
    return { email, customer, token };
  }
  const overrides = (email: string) =>
    `/api/v1/admin/billing/customers/${encodeURIComponent(email)}/entitlement-overrides`;

  it("lists the plan's services, daily calls and included credits as entitlements", async () => {
    const { token } = await subscriber();
    const r = await api.request('GET', '/api/v1/entitlements', { token });
    expect(r.status).toBe(200);
    expect(r.body.tier).toBe('starter');
    const byFeature = Object.fromEntries(
      (r.body.entitlements as { feature: string }[]).map((e) => [e.feature, e]),
    );
    expect(Object.keys(byFeature).sort()).toEqual(['api', 'api_calls', 'chat', 'credits', 'ops-center']);
    expect(byFeature.chat).toMatchObject({ kind: 'boolean', allowed: true, reason: 'ok', limit: null });
    expect(byFeature.api_calls).toMatchObject({
      kind: 'metered',
      per: 'day',
      overage: 'block',
      limit: 1000,
      used: 0,
      remaining: 1000,
    });
    expect(byFeature.credits).toMatchObject({ per: 'period', overage: 'bill', limit: 100 });
  });

  it('checks a feature and an allowance, counting what the customer used today', async () => {
    const { token, email } = await subscriber();
    const check = (body: unknown, t = token, q = '') =>
      api.request('POST', `/api/v1/entitlements/check${q}`, { token: t, body });
    expect((await check({ feature: 'chat' })).body).toEqual({
      allowed: true,
      reason: 'ok',
      limit: null,
      used: null,
      remaining: null,
      resets_at: null,
    });
    expect((await check({ feature: 'byok' })).body).toMatchObject({
      allowed: false,
      reason: 'feature_not_in_plan',
    });
    const report = await api.request('POST', '/api/v1/billing/report_usage', {
      token,
      body: { events: [{ id: 'e1', type: 'inference', quantity: 990 }] },
    });
    expect(report.status).toBe(200);
    const calls = await check({ feature: 'api_calls', quantity: 10 }, gateway, `?customer_email=${email}`);
    expect(calls.body).toMatchObject({ allowed: true, limit: 1000, used: 990, remaining: 10 });
    expect(calls.body.resets_at).toMatch(/T00:00:00\.000Z$/);
    const over = await check({ feature: 'api_calls', quantity: 11 }, gateway, `?customer_email=${email}`);
    expect(over.body).toMatchObject({ allowed: false, reason: 'allowance_exhausted', remaining: 10 });
    // The query-string form answers the same.
    const viaGet = await api.request(
      'GET',
      `/api/v1/entitlements/check?feature=api_calls&quantity=11&customer_email=${email}`,
      {
        token: gateway,
      },
    );
    expect(viaGet.body).toEqual(over.body);
    const badGet = await api.request('GET', '/api/v1/entitlements/check?feature=api_calls&quantity=-1', {
      token,
    });
    expect(badGet.status).toBe(400);
    expect(JSON.stringify(badGet.body.error)).toContain('quantity');
  });

  it('refuses bad checks by class, naming the field, and another customer for anyone but the gateway', async () => {
    const { token } = await subscriber();
    const other = await subscriber();
    for (const [body, field] of [
      [{ feature: 'Chat' }, 'feature'],
      [{ feature: 'chat', quantity: 0 }, 'quantity'],
      [{ feature: 'chat', quantity: 1.5 }, 'quantity'],
      [{ feature: 'chat', quantity: 1e16 }, 'quantity'],
      [{ feature: 'chat', quantity: '1' }, 'quantity'],
      [{ feature: 'chat', in_use: -1 }, 'in_use'],
      [{ feature: 'chat', extra: true }, 'body'],
      [{ feature: 'a'.repeat(65) }, 'feature'],
    ] as const) {
      const r = await api.request('POST', '/api/v1/entitlements/check', { token, body });
      expect(r.status).toBe(400);
      expect(JSON.stringify(r.body.error)).toContain(field);
    }
    const theirs = await api.request('POST', `/api/v1/entitlements/check?customer_email=${other.email}`, {
      token,
      body: { feature: 'chat' },
    });
    expect(theirs.status).toBe(403);
    const unnamed = await api.request('POST', '/api/v1/entitlements/check', {
      token: gateway,
      body: { feature: 'chat' },
    });
    expect(unnamed.status).toBe(400);
  });

  it('answers the gateway naming a customer by their overrides, and one without any by their plan', async () => {
    const granted = await subscriber();
    const plain = await subscriber();
    const grant = await api.request('POST', overrides(granted.email), {
      token: admin,
      body: { feature: 'byok', grant: true, reason: 'pilot' },
    });
    expect(grant.status).toBe(201);
    const ask = (userId: string) =>
      api.request('POST', `/api/v1/subscriptions/check-access/byok?user_id=${encodeURIComponent(userId)}`, {
        token: gateway,
      });
    // The first check of each reads their standing in one statement, which says whether overrides exist.
    expect((await ask(granted.customer.userId)).body).toMatchObject({ allowed: true });
    expect((await ask(plain.customer.userId)).body).toMatchObject({ allowed: false });
    expect((await ask(granted.customer.userId)).body).toMatchObject({ allowed: true });
    expect((await ask(plain.customer.userId)).body).toMatchObject({ allowed: false });
  });

  it('lets an admin grant a feature for a while and raise a cap, audited and published; removing ends it', async () => {
    const { token, email, customer } = await subscriber();
    const grant = await api.request('POST', overrides(email), {
      token: admin,
      body: {
        feature: 'byok',
        grant: true,
        expires_at: new Date(Date.now() + 30 * DAY).toISOString(),
        reason: 'pilot',
      },
    });
    expect(grant.status).toBe(201);
    expect(grant.body).toMatchObject({
      feature: 'byok',
      grant: true,
      active: true,
      actor: 'boss@example.com',
    });
    const raise = await api.request('POST', overrides(email), {
      token: admin,
      body: { feature: 'api_calls', amount: 5000, reason: 'launch week' },
    });
    expect(raise.status).toBe(201);
    // In force at once in this process (its memo dropped); check-access follows the entitlements.
    const byok = await api.request('POST', '/api/v1/entitlements/check', {
      token,
      body: { feature: 'byok' },
    });
    expect(byok.body).toMatchObject({ allowed: true });
    const access = await api.request('POST', '/api/v1/subscriptions/check-access/byok', { token });
    expect(access.body).toMatchObject({ allowed: true, remaining_today: 5000 });

    const view = await api.request(
      'GET',
      `/api/v1/admin/billing/customers/${encodeURIComponent(email)}/entitlements`,
      {
        token: admin,
      },
    );
    expect(view.body.overrides.map((o: { feature: string }) => o.feature).sort()).toEqual([
      'api_calls',
      'byok',
    ]);
    const removed = await api.request('DELETE', `${overrides(email)}/${grant.body.id}`, { token: admin });
    expect(removed.body).toMatchObject({ active: false, removed_by: 'boss@example.com' });
    const after = await api.request('POST', '/api/v1/subscriptions/check-access/byok', { token });
    expect(after.body).toMatchObject({ allowed: false, reason: 'service_not_in_plan' });

    const events = await sqlFor(db.orm.em.fork()).run<{ type: string; payload: unknown }>(
      "select type, payload from billing_events where customer_id = ? and type = 'access.changed' order by created_at",
      [customer.id],
    );
    expect(events).toHaveLength(3);
    const last = typeof events[2]!.payload === 'string' ? JSON.parse(events[2]!.payload) : events[2]!.payload;
    expect(last).toMatchObject({ cause: 'override_removed', override: { feature: 'byok' } });
    const audit = await db.orm.em.fork().find(AuditEntry, { entityId: customer.id });
    expect(audit.map((a) => a.action).sort()).toEqual([
      'entitlement_override.create',
      'entitlement_override.create',
      'entitlement_override.remove',
    ]);
  });

  it.each([
    ['no change', { feature: 'seats', reason: 'x' }, 'grant'],
    ['two changes', { feature: 'seats', grant: true, limit: 3, reason: 'x' }, 'grant'],
    ['an amount for a feature that is not metered', { feature: 'chat', amount: 3, reason: 'x' }, 'amount'],
    [
      'an expiry in the past',
      { feature: 'seats', limit: 3, expires_at: '2020-01-01T00:00:00Z', reason: 'x' },
      'expires_at',
    ],
    ['no reason', { feature: 'seats', limit: 3 }, 'reason'],
    ['a negative limit', { feature: 'seats', limit: -1, reason: 'x' }, 'limit'],
    ['a huge limit', { feature: 'seats', limit: 1e13, reason: 'x' }, 'limit'],
  ])('refuses an override with %s, naming the field', async (_name, body, field) => {
    const { email } = await subscriber();
    const r = await api.request('POST', overrides(email), { token: admin, body });
    expect(r.status).toBe(400);
    expect(JSON.stringify(r.body.error)).toContain(field);
  });

  it('signs a snapshot the gateway checks with the published key, and nobody can alter', async () => {
    const { email } = await subscriber('professional');
    const snap = await api.request('GET', `/api/v1/entitlements/snapshot?customer_email=${email}`, {
      token: gateway,
    });
    expect(snap.status).toBe(200);
    const jwks = await api.request('GET', '/api/v1/entitlements/jwks.json', {});
    expect(jwks.status).toBe(200);
    const keys = createLocalJWKSet(jwks.body);
    const { payload, protectedHeader } = await jwtVerify(snap.body.token, keys, {
      issuer: 'billing-engine/entitlements',
    });
    expect(protectedHeader).toMatchObject({ alg: 'EdDSA', kid: snap.body.kid });
    expect(payload).toMatchObject({ tier: 'professional', status: 'active' });
    expect((payload.entitlements as { feature: string }[]).map((e) => e.feature)).toContain('byok');
    expect(payload.exp! - payload.iat!).toBe(60);
    // A changed claim breaks the signature.
    const [h, p, s] = (snap.body.token as string).split('.');
    const forged = JSON.parse(Buffer.from(p!, 'base64url').toString());
    forged.tier = 'enterprise';
    const tampered = `${h}.${Buffer.from(JSON.stringify(forged)).toString('base64url')}.${s}`;
    await expect(jwtVerify(tampered, keys)).rejects.toThrow();
  });
});
