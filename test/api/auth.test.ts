import { startTestApi, type TestApi } from '../helpers/api';
import { startTestIdp, type TestIdp } from '../helpers/auth';
import { openTestDatabase } from '../helpers/db';

describe('authentication and roles', () => {
  let idp: TestIdp;
  let db: Awaited<ReturnType<typeof openTestDatabase>>;
  let api: TestApi;
  const adminRoute = '/api/v1/admin/audit-log';

  beforeAll(async () => {
    [idp, db] = await Promise.all([startTestIdp(), openTestDatabase('sqlite')]);
    api = await startTestApi({ orm: db.orm, env: { OIDC_ISSUER: idp.issuer, OIDC_JWKS_URL: idp.jwksUrl } });
  });
  afterAll(async () => {
    await api.stop();
    await Promise.all([idp.stop(), db.close()]);
  });

  it('answers 401 with the JSON error when no token is sent', async () => {
    const res = await api.request('GET', adminRoute);
    expect(res.status).toBe(401);
    expect(res.body).toEqual({ error: { code: 'unauthorized', message: expect.any(String), details: {} } });
  });

  it('answers 401 to a token signed by a key the issuer does not publish', async () => {
    const token = await idp.forgedToken({ email: 'mallory@example.com', roles: ['admin'] });
    const res = await api.request('GET', adminRoute, { token });
    expect(res.status).toBe(401);
    expect(res.body.error.code).toBe('invalid_token');
  });

  it('answers 401 to an expired token', async () => {
    const token = await idp.token({ email: 'old@example.com', roles: ['admin'], expiresIn: '-60s' });
    const res = await api.request('GET', adminRoute, { token });
    expect(res.status).toBe(401);
    expect(res.body.error.code).toBe('token_expired');
  });

  it('answers 401 to a token from another issuer', async () => {
    const token = await idp.token({
      email: 'x@example.com',
      roles: ['admin'],
      issuer: 'https://evil.example/realms/x',
    });
    const res = await api.request('GET', adminRoute, { token });
    expect(res.status).toBe(401);
    expect(res.body.error.code).toBe('invalid_token');
  });

  it('answers 401 to a malformed Authorization header', async () => {
    const res = await fetch(`${api.url}${adminRoute}`, { headers: { authorization: 'Basic abc' } });
    expect(res.status).toBe(401);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('invalid_token');
  });

  it('answers 403 to a viewer on an admin route and 200 to an admin', async () => {
    const viewer = await idp.token({ email: 'v@example.com', roles: ['viewer'] });
    const editor = await idp.token({ email: 'e@example.com', roles: ['editor'] });
    const admin = await idp.token({ email: 'a@example.com', roles: ['offline_access', 'admin'] });
    expect((await api.request('GET', adminRoute, { token: viewer })).status).toBe(403);
    expect((await api.request('GET', adminRoute, { token: editor })).status).toBe(403);
    const ok = await api.request('GET', adminRoute, { token: admin });
    expect(ok.status).toBe(200);
    expect(ok.body).toEqual({ entries: [], total: 0, next_cursor: null });
  });

  it('reads client roles from resource_access as Keycloak issues them', async () => {
    const clientAdmin = await idp.token({
      email: 'c@example.com',
      clientRoles: { 'billing-engine': ['admin'] },
    });
    expect((await api.request('GET', adminRoute, { token: clientAdmin })).status).toBe(200);
    const noRoles = await idp.token({ email: 'd@example.com' });
    expect((await api.request('GET', adminRoute, { token: noRoles })).status).toBe(403);
  });
});
