import { randomUUID } from 'node:crypto';
import { GATEWAY_ROLE } from '../../domain/roles';
import { startTestApi, type TestApi } from '../helpers/api';
import { openTestDatabase } from '../helpers/db';
import { KEYCLOAK_START_TIMEOUT_MS, startTestKeycloak, type TestKeycloak } from '../helpers/keycloak';

const ADMIN_ROUTE = '/api/v1/admin/audit-log';
const VIEWER_ROUTE = '/api/v1/subscriptions/my-access';
/** Only the gateway may read it: it answers the gateway 404 for an unknown user, anyone else 403. */
const GATEWAY_ROUTE = '/api/v1/subscriptions/admin/user-access/nobody-here';
const PASSWORD = 'correct horse battery staple';

/**
 * A shared Keycloak realm as operators run it: the engine's client with its roles, the web app's public
 * client, the AI gateway's service account, and another team's app ("wiki-app") that grants an `admin` of
 * its own, beside a realm role named `admin`. Every token here is one Keycloak issued.
 */
describe('tokens from a real Keycloak realm shared with another team', () => {
  let kc: TestKeycloak;
  let db: Awaited<ReturnType<typeof openTestDatabase>>;
  let api: TestApi;
  let prefixed: TestApi;
  let realm: string;
  let tokenUrl: string;
  let gatewaySecret: string;
  const users: Record<'realmAdmin' | 'billingAdmin' | 'prefixedAdmin' | 'unverified', string> = {
    realmAdmin: '',
    billingAdmin: '',
    prefixedAdmin: '',
    unverified: '',
  };

  beforeAll(async () => {
    [kc, db] = await Promise.all([startTestKeycloak(), openTestDatabase('sqlite')]);
    const testRealm = await kc.createRealm();
    realm = testRealm.name;
    tokenUrl = `${kc.url}/realms/${realm}/protocol/openid-connect/token`;
    const admin = kc.admin;

    const clientUuid = async (clientId: string) => (await admin.clients.find({ realm, clientId }))[0]!.id!;
    const engine = await clientUuid('billing-engine');
    for (const name of ['viewer', 'admin', GATEWAY_ROLE])
      await admin.clients.createRole({ realm, id: engine, name });
    // People sign in through public clients; direct grants stand in for the browser's code flow here.
    for (const clientId of ['billing-web', 'wiki-app']) {
      await admin.clients.create({
        realm,
        clientId,
        publicClient: true,
        standardFlowEnabled: false,
        directAccessGrantsEnabled: true,
      });
    }
    const wiki = await clientUuid('wiki-app');
    await admin.clients.createRole({ realm, id: wiki, name: 'admin' });
    gatewaySecret = randomUUID();
    await admin.clients.create({
      realm,
      clientId: 'ai-gateway',
      secret: gatewaySecret,
      publicClient: false,
      serviceAccountsEnabled: true,
      standardFlowEnabled: false,
      directAccessGrantsEnabled: false,
    });
    for (const name of ['admin', 'billing-admin']) await admin.roles.create({ realm, name });

    const role = async (client: string | null, name: string) => {
      const r = client
        ? await admin.clients.findRole({ realm, id: client, roleName: name })
        : await admin.roles.findOneByName({ realm, name });
      return { id: r!.id!, name: r!.name! };
    };
    const grant = async (
      userId: string,
      grants: { realm?: string[]; engine?: string[]; wiki?: string[] },
    ): Promise<void> => {
      if (grants.realm?.length)
        await admin.users.addRealmRoleMappings({
          realm,
          id: userId,
          roles: await Promise.all(grants.realm.map((n) => role(null, n))),
        });
      for (const [client, names] of [
        [engine, grants.engine],
        [wiki, grants.wiki],
      ] as const) {
        if (!names?.length) continue;
        await admin.users.addClientRoleMappings({
          realm,
          id: userId,
          clientUniqueId: client,
          roles: await Promise.all(names.map((n) => role(client, n))),
        });
      }
    };
    const person = async (verified: boolean): Promise<{ id: string; email: string }> => {
      const email = `person-${randomUUID().slice(0, 8)}@example.com`;
      const { id } = await admin.users.create({
        realm,
        username: email,
        email,
        emailVerified: verified,
        firstName: 'Ada',
        lastName: 'Lovelace',
        enabled: true,
      });
      await admin.users.resetPassword({
        realm,
        id,
        credential: { type: 'password', value: PASSWORD, temporary: false },
      });
      return { id, email };
    };
    const make = async (verified: boolean, grants: Parameters<typeof grant>[1]) => {
      const created = await person(verified);
      await grant(created.id, grants);
      return created.email;
    };
    // Each holds the engine's viewer role, so their tokens name the engine's audience.
    users.realmAdmin = await make(true, { realm: ['admin'], engine: ['viewer'], wiki: ['admin'] });
    users.billingAdmin = await make(true, { engine: ['admin'] });
    users.prefixedAdmin = await make(true, { realm: ['billing-admin'], engine: ['viewer'] });
    users.unverified = await make(false, { engine: ['viewer'] });
    const gatewayAccount = await admin.clients.getServiceAccountUser({
      realm,
      id: await clientUuid('ai-gateway'),
    });
    await grant(gatewayAccount.id!, { engine: [GATEWAY_ROLE] });

    const env = {
      OIDC_ISSUER: `${kc.url}/realms/${realm}`,
      OIDC_AUDIENCE: 'billing-engine',
      OIDC_WEB_CLIENT_ID: 'billing-web',
    };
    [api, prefixed] = await Promise.all([
      startTestApi({ orm: db.orm, env }),
      startTestApi({ orm: db.orm, env: { ...env, OIDC_REALM_ROLE_PREFIX: 'billing-' } }),
    ]);
  }, KEYCLOAK_START_TIMEOUT_MS + 60_000);

  afterAll(async () => {
    await Promise.all([api?.stop(), prefixed?.stop()]);
    await Promise.all([kc?.stop(), db?.close()]);
  });

  async function tokens(form: Record<string, string>): Promise<{ access_token: string; id_token?: string }> {
    const res = await fetch(tokenUrl, { method: 'POST', body: new URLSearchParams(form) });
    const body = (await res.json()) as { access_token: string; id_token?: string };
    if (!res.ok) throw new Error(`Keycloak refused the token request: ${JSON.stringify(body)}`);
    return body;
  }
  const signIn = (username: string, clientId = 'billing-web') =>
    tokens({ grant_type: 'password', client_id: clientId, username, password: PASSWORD, scope: 'openid' });
  const claimsOf = (token: string) =>
    JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString('utf8')) as Record<string, unknown>;
  const call = async (target: TestApi, route: string, token: string) => {
    const res = await target.request('GET', route, { token });
    return { status: res.status, code: res.body?.error?.code as string | undefined };
  };

  it('a user holding the realm role admin and another client’s admin is not billing admin', async () => {
    const { access_token: token } = await signIn(users.realmAdmin);
    const claims = claimsOf(token);
    // What Keycloak put in: the realm's admin, the wiki's admin, and our audience.
    expect(claims).toMatchObject({
      realm_access: { roles: expect.arrayContaining(['admin']) },
      resource_access: { 'wiki-app': { roles: ['admin'] }, 'billing-engine': { roles: ['viewer'] } },
    });
    expect(claims.aud).toEqual(expect.arrayContaining(['billing-engine']));

    expect(await call(api, ADMIN_ROUTE, token)).toEqual({ status: 403, code: 'forbidden' });
    expect((await call(api, VIEWER_ROUTE, token)).status).toBe(200);
    // The engine's own admin role, through the engine's web client, is.
    expect((await call(api, ADMIN_ROUTE, (await signIn(users.billingAdmin)).access_token)).status).toBe(200);
  });

  it('refuses a token Keycloak minted for another client, though it carries our audience and roles', async () => {
    const { access_token: token } = await signIn(users.billingAdmin, 'wiki-app');
    expect(claimsOf(token)).toMatchObject({
      azp: 'wiki-app',
      resource_access: { 'billing-engine': { roles: ['admin'] } },
    });
    expect(claimsOf(token).aud).toEqual(expect.arrayContaining(['billing-engine']));

    expect(await call(api, ADMIN_ROUTE, token)).toEqual({ status: 401, code: 'invalid_token' });
    expect(await call(api, VIEWER_ROUTE, token)).toEqual({ status: 401, code: 'invalid_token' });
  });

  it('counts a realm role under OIDC_REALM_ROLE_PREFIX, and no other realm role', async () => {
    const withPrefix = (await signIn(users.prefixedAdmin)).access_token;
    expect(claimsOf(withPrefix)).toMatchObject({
      realm_access: { roles: expect.arrayContaining(['billing-admin']) },
    });
    expect((await call(prefixed, ADMIN_ROUTE, withPrefix)).status).toBe(200);
    expect((await call(api, ADMIN_ROUTE, withPrefix)).status).toBe(403);
    const realmAdmin = (await signIn(users.realmAdmin)).access_token;
    expect((await call(prefixed, ADMIN_ROUTE, realmAdmin)).status).toBe(403);
  });

  it('refuses a person whose email Keycloak has not verified', async () => {
    const { access_token: token } = await signIn(users.unverified);
    expect(claimsOf(token)).toMatchObject({ email_verified: false });
    expect(await call(api, VIEWER_ROUTE, token)).toEqual({ status: 403, code: 'email_not_verified' });
  });

  it("takes the gateway's client-credentials token, with no email, as the gateway", async () => {
    const { access_token: token } = await tokens({
      grant_type: 'client_credentials',
      client_id: 'ai-gateway',
      client_secret: gatewaySecret,
    });
    expect(claimsOf(token)).toMatchObject({ azp: 'ai-gateway', typ: 'Bearer' });
    expect(claimsOf(token)).not.toHaveProperty('email');
    expect(await call(api, GATEWAY_ROUTE, token)).toEqual({ status: 404, code: 'user_not_found' });
  });

  it('refuses the ID token Keycloak issues beside the access token', async () => {
    const { id_token: idToken } = await signIn(users.billingAdmin);
    expect(claimsOf(idToken!)).toMatchObject({ typ: 'ID', azp: 'billing-web' });
    // The web client's own API, were it to take the web client as audience, still refuses it.
    const webAudience = await startTestApi({
      orm: db.orm,
      env: {
        OIDC_ISSUER: `${kc.url}/realms/${realm}`,
        OIDC_AUDIENCE: 'billing-web',
        OIDC_WEB_CLIENT_ID: 'billing-web',
      },
    });
    try {
      expect(await call(webAudience, ADMIN_ROUTE, idToken!)).toEqual({ status: 401, code: 'invalid_token' });
    } finally {
      await webAudience.stop();
    }
  });
});
