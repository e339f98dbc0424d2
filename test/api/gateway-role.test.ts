import { GATEWAY_ROLE } from '../../domain/roles';
import { startTestIdp, type TestIdp } from '../helpers/auth';
import { openTestDatabase } from '../helpers/db';
import { seedSubscriber, startUsageApi, type UsageApi } from '../usage/fixtures';

const DAY = 86_400_000;

describe.each(['sqlite', 'postgresql'] as const)('the AI gateway role (%s)', (dialect) => {
  let db: Awaited<ReturnType<typeof openTestDatabase>>;
  let idp: TestIdp;
  let api: UsageApi;
  let gateway: string;

  beforeAll(async () => {
    [db, idp] = await Promise.all([openTestDatabase(dialect), startTestIdp()]);
    api = await startUsageApi(db.orm, idp);
    await seedSubscriber(db.orm, {
      email: 'pro@gw.example',
      plan: 'professional',
      periodStart: new Date(Date.now() - DAY),
    });
    // A Keycloak client-credentials token: no email, the role given to the client's service account.
    gateway = await idp.token({
      sub: 'svc-ai-gateway',
      extra: { preferred_username: 'service-account-ai-gateway', azp: 'ai-gateway' },
      clientRoles: { 'billing-engine': [GATEWAY_ROLE] },
    });
  });
  afterAll(async () => {
    await api?.stop();
    await Promise.all([db?.close(), idp?.stop()]);
  });

  const check = (token: string, query = '') =>
    api.request('POST', `/api/v1/subscriptions/check-access/chat${query}`, { token });

  it("checks a named customer's access, by email or by user id, and an unknown one has none", async () => {
    const byEmail = await check(gateway, '?customer_email=PRO@gw.example');
    expect(byEmail.status).toBe(200);
    expect(byEmail.body).toMatchObject({ allowed: true, reason: 'ok', tier: 'professional' });
    const byUser = await check(gateway, `?user_id=${encodeURIComponent('kc-pro@gw.example')}`);
    expect(byUser.body).toMatchObject({ allowed: true, tier: 'professional' });
    const unknown = await check(gateway, '?customer_email=nobody@gw.example');
    expect(unknown.status).toBe(200);
    expect(unknown.body).toMatchObject({ allowed: false, reason: 'no_subscription' });
  });

  it('refuses a check that names no customer, or two ways at once', async () => {
    const none = await check(gateway);
    expect(none.status).toBe(400);
    expect(none.body.error.details.field).toBe('query.user_id');
    const both = await check(gateway, '?customer_email=pro@gw.example&user_id=kc-pro@gw.example');
    expect(both.status).toBe(400);
  });

  it('lets a person check only their own access, naming themselves or not', async () => {
    const me = await idp.token({ sub: 'kc-pro@gw.example', email: 'pro@gw.example' });
    expect((await check(me)).body).toMatchObject({ allowed: true });
    expect((await check(me, '?customer_email=pro@gw.example')).body).toMatchObject({ allowed: true });
    const admin = await idp.token({ email: 'boss@gw.example', roles: ['admin'] });
    expect((await check(admin, '?customer_email=pro@gw.example')).status).toBe(403);
  });

  it("reads a user's access, and nothing an admin or a customer reads", async () => {
    const access = await api.request('GET', '/api/v1/subscriptions/admin/user-access/kc-pro@gw.example', {
      token: gateway,
    });
    expect(access.status).toBe(200);
    expect(access.body).toMatchObject({ user_id: 'kc-pro@gw.example', tier: 'professional' });
    // The gateway reads no email: it keys people by user id.
    expect(access.body).not.toHaveProperty('email');
    for (const path of [
      '/api/v1/admin/billing/customers',
      '/api/v1/admin/revenue',
      '/api/v1/admin/audit-log',
      '/api/v1/billing/usage',
      '/api/v1/byok/keys',
    ]) {
      const res = await api.request('GET', path, { token: gateway });
      expect([path, res.status, res.body.error?.code]).toEqual([path, 403, 'forbidden']);
    }
    const planEdit = await api.request('POST', '/api/v1/subscriptions/plans', { token: gateway, body: {} });
    expect(planEdit.status).toBe(403);
  });

  it('refuses a token that is both the gateway and an editor or admin', async () => {
    for (const role of ['editor', 'admin']) {
      const token = await idp.token({ email: `mixed-${role}@gw.example`, roles: [role, GATEWAY_ROLE] });
      const res = await check(token, '?customer_email=pro@gw.example');
      expect([role, res.status, res.body.error.code]).toEqual([role, 403, 'conflicting_roles']);
    }
    // A default viewer role beside the gateway's is harmless: the token is the gateway.
    const withViewer = await idp.token({ email: 'svc@gw.example', roles: ['viewer', GATEWAY_ROLE] });
    expect((await check(withViewer, '?customer_email=pro@gw.example')).body).toMatchObject({ allowed: true });
  });

  it('still refuses a person without an email claim', async () => {
    const token = await idp.token({ sub: 'no-email', extra: { preferred_username: 'someone' } });
    const res = await check(token);
    expect([res.status, res.body.error.code]).toEqual([401, 'invalid_token']);
  });
});
