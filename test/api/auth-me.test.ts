import { GATEWAY_ROLE } from '../../domain/roles';
import { startTestApi, type TestApi } from '../helpers/api';
import { startTestIdp, type Claims, type TestIdp } from '../helpers/auth';
import { openTestDatabase } from '../helpers/db';

/**
 * GET /auth/me answers what the engine's verifier decided about a token, which is what the web app shows
 * (the console's links): the role the routes enforce, never one read out of the token by someone else.
 */
describe('who the engine takes a token for (GET /auth/me)', () => {
  let idp: TestIdp;
  let db: Awaited<ReturnType<typeof openTestDatabase>>;
  let api: TestApi;
  let prefixed: TestApi;
  const ME = '/api/v1/auth/me';
  const ADMIN_ROUTE = '/api/v1/admin/audit-log';

  beforeAll(async () => {
    [idp, db] = await Promise.all([startTestIdp(), openTestDatabase('sqlite')]);
    const env = { OIDC_ISSUER: idp.issuer, OIDC_JWKS_URL: idp.jwksUrl };
    api = await startTestApi({ orm: db.orm, env });
    prefixed = await startTestApi({ orm: db.orm, env: { ...env, OIDC_REALM_ROLE_PREFIX: 'billing-' } });
  });
  afterAll(async () => {
    await prefixed?.stop();
    await api?.stop();
    await Promise.all([idp?.stop(), db?.close()]);
  });

  const me = async (claims: Claims, on: TestApi = api) =>
    on.request('GET', ME, { token: await idp.token(claims) });

  it("answers the engine's own client role, as the admin routes enforce it", async () => {
    for (const role of ['viewer', 'editor', 'admin'] as const) {
      const res = await me({ email: `${role}@me.example`, roles: [role] });
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ email: `${role}@me.example`, role, roles: [role] });
    }
    const admin = await idp.token({ email: 'boss@me.example', roles: ['offline_access', 'admin'] });
    expect((await api.request('GET', ME, { token: admin })).body).toMatchObject({ role: 'admin' });
    expect((await api.request('GET', ADMIN_ROUTE, { token: admin })).status).toBe(200);
  });

  it('a realm role named admin does not make anyone admin, and neither does another client', async () => {
    const cases: Claims[] = [
      { email: 'realm@me.example', realmRoles: ['admin', 'editor'] },
      { email: 'wiki@me.example', clientRoles: { 'wiki-app': ['admin'] } },
      {
        email: 'proto@me.example',
        clientRoles: Object.fromEntries([
          ['__proto__', ['admin']],
          ['constructor', ['admin']],
        ]) as Record<string, string[]>,
      },
      { email: 'nothing@me.example' },
    ];
    for (const claims of cases) {
      const token = await idp.token(claims);
      const res = await api.request('GET', ME, { token });
      expect({ claims, status: res.status, body: res.body }).toEqual({
        claims,
        status: 200,
        body: { email: claims.email, role: 'viewer', roles: [] },
      });
      // What /auth/me answers is what the routes enforce.
      expect((await api.request('GET', ADMIN_ROUTE, { token })).status).toBe(403);
    }
  });

  it('counts a realm role only under the configured prefix, and answers it without the prefix', async () => {
    const res = await me(
      { email: 'ops@me.example', realmRoles: ['billing-admin', 'admin', 'billing-'] },
      prefixed,
    );
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ email: 'ops@me.example', role: 'admin', roles: ['admin'] });
    const unprefixed = await me({ email: 'ops2@me.example', realmRoles: ['admin'] }, prefixed);
    expect(unprefixed.body).toEqual({ email: 'ops2@me.example', role: 'viewer', roles: [] });
  });

  it('answers the email the engine keys customers by, in lower case', async () => {
    const res = await me({ email: 'Ada.Lovelace@ME.example', roles: ['viewer'] });
    expect(res.body).toMatchObject({ email: 'ada.lovelace@me.example' });
  });

  it("refuses the gateway's service account: the route is for people", async () => {
    const res = await me({
      sub: 'svc-ai-gateway',
      extra: { preferred_username: 'service-account-ai-gateway', azp: 'ai-gateway' },
      roles: [GATEWAY_ROLE, 'viewer'],
    });
    expect(res.status).toBe(403);
  });

  it('answers 401 without a token, with a forged, expired or foreign token', async () => {
    const none = await api.request('GET', ME);
    expect(none.status).toBe(401);
    expect(none.body).toEqual({ error: { code: 'unauthorized', message: expect.any(String), details: {} } });
    const refused = [
      await idp.forgedToken({ email: 'mallory@me.example', roles: ['admin'] }),
      await idp.token({ email: 'old@me.example', roles: ['admin'], expiresIn: '-60s' }),
      await idp.token({ email: 'x@me.example', roles: ['admin'], issuer: 'https://evil.example/realms/x' }),
      await idp.token({ email: 'other@me.example', roles: ['admin'], extra: { azp: 'wiki-app' } }),
      await idp.token({ email: 'id@me.example', roles: ['admin'], extra: { typ: 'ID' } }),
    ];
    for (const token of refused) {
      const res = await api.request('GET', ME, { token });
      expect({ status: res.status, code: res.body.error?.code }).toEqual({
        status: 401,
        code: expect.stringMatching(/^(invalid_token|token_expired)$/),
      });
    }
  });

  it('answers 403 email_not_verified to a person whose email the identity provider has not checked', async () => {
    for (const email_verified of [false, 'true', undefined]) {
      const res = await me({ email: 'unverified@me.example', roles: ['admin'], extra: { email_verified } });
      expect({ email_verified, status: res.status, code: res.body.error?.code }).toEqual({
        email_verified,
        status: 403,
        code: 'email_not_verified',
      });
    }
  });

  it('answers 403 conflicting_roles to a token that is both the gateway and an admin', async () => {
    const res = await me({ email: 'both@me.example', roles: [GATEWAY_ROLE, 'admin'] });
    expect(res.status).toBe(403);
    expect(res.body.error.code).toBe('conflicting_roles');
  });
});
