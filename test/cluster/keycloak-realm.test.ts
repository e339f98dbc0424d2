import { createHash, randomBytes } from 'node:crypto';
import KeycloakAdminClient from '@keycloak/keycloak-admin-client';
import { GATEWAY_ROLE } from '../../domain/roles';
import { ClientCredentialsToken, KeycloakSession } from '../../integrations/keycloak/session';
import {
  ENGINE_CLIENT,
  GATEWAY_CLIENT,
  HARNESS_CLIENT,
  OPERATORS_GROUP,
  provisionRealm,
  REALM,
  WEB_CLIENT,
  type ClusterRealm,
  type RealmSecrets,
} from '../../tools/cluster/keycloak-realm';
import { KEYCLOAK_START_TIMEOUT_MS } from '../helpers/keycloak';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { startKeycloak } = require('../../tools/keycloak') as {
  startKeycloak(o: { log?: (m: string) => void }): Promise<{
    url: string;
    adminUser: string;
    adminPassword: string;
    stop(): Promise<void>;
  }>;
};

jest.setTimeout(60_000);

const APP = 'http://127.0.0.1:4999';

/** The payload of a JWT, unverified: Keycloak issued it over loopback a moment ago. */
const claimsOf = (token: string) =>
  JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8')) as Record<
    string,
    unknown
  > & { resource_access?: Record<string, { roles?: string[] }> };

/**
 * The realm `npm run cluster` sets up (tools/cluster/keycloak-realm.ts), read back from the Keycloak that
 * serves it: the same server and version the cluster runs, in development mode, which starts in seconds
 * where the whole topology takes minutes. What an attacker would try is tried, not only the settings read.
 */
describe("the cluster's Keycloak realm", () => {
  let kc: Awaited<ReturnType<typeof startKeycloak>>;
  let realm: ClusterRealm;
  let admin: KeycloakAdminClient;
  const secrets: RealmSecrets = {
    engine: randomBytes(12).toString('hex'),
    gateway: randomBytes(12).toString('hex'),
    people: randomBytes(12).toString('hex'),
    harness: randomBytes(12).toString('hex'),
  };
  const tokenUrl = () => `${kc.url}/realms/${REALM}/protocol/openid-connect/token`;
  const tokenRequest = async (form: Record<string, string>) => {
    const res = await fetch(tokenUrl(), { method: 'POST', body: new URLSearchParams(form) });
    return {
      status: res.status,
      body: (await res.json()) as { access_token?: string; expires_in?: number; error?: string },
    };
  };
  const master = async () => {
    await admin.auth({
      grantType: 'password',
      clientId: 'admin-cli',
      username: kc.adminUser,
      password: kc.adminPassword,
    });
    return admin;
  };
  const userId = async (email: string) =>
    (await (await master()).users.find({ realm: REALM, username: email, exact: true }))[0]!.id!;
  const client = async (clientId: string) =>
    (await (await master()).clients.find({ realm: REALM, clientId }))[0]!;

  beforeAll(async () => {
    kc = await startKeycloak({ log: () => {} });
    admin = new KeycloakAdminClient({ baseUrl: kc.url, realmName: 'master' });
    realm = await provisionRealm(kc.url, { user: kc.adminUser, password: kc.adminPassword }, secrets, APP);
    // Set up twice, as a restarted cluster does: the second run finds it all and changes nothing it needs.
    realm = await provisionRealm(kc.url, { user: kc.adminUser, password: kc.adminPassword }, secrets, APP);
  }, KEYCLOAK_START_TIMEOUT_MS);
  afterAll(async () => {
    await kc?.stop();
  });

  it("signs people in to the web app's client only with the code flow and PKCE S256, never with a password", async () => {
    const web = await client(WEB_CLIENT);
    expect(web).toMatchObject({
      publicClient: true,
      standardFlowEnabled: true,
      implicitFlowEnabled: false,
      directAccessGrantsEnabled: false,
    });
    expect(web.attributes?.['pkce.code.challenge.method']).toBe('S256');

    // A person's right password, sent to the public client: refused.
    const person = await realm.person({ email: 'web-password@example.com' });
    const attempt = await tokenRequest({
      grant_type: 'password',
      client_id: WEB_CLIENT,
      username: person.email,
      password: person.password,
    });
    expect(attempt.status).toBe(400);
    expect(attempt.body.error).toBe('unauthorized_client');

    // An authorization request without a code challenge, or with the plain method, goes back with an error.
    const authorize = (extra: Record<string, string>) =>
      fetch(
        `${kc.url}/realms/${REALM}/protocol/openid-connect/auth?${new URLSearchParams({
          client_id: WEB_CLIENT,
          response_type: 'code',
          redirect_uri: `${APP}/billing`,
          scope: 'openid',
          state: 'state-1',
          ...extra,
        }).toString()}`,
        { redirect: 'manual' },
      );
    const withoutS256: Record<string, string>[] = [
      {},
      { code_challenge: 'a'.repeat(43), code_challenge_method: 'plain' },
    ];
    for (const extra of withoutS256) {
      const refused = await authorize(extra);
      expect(refused.status).toBe(302);
      expect(new URL(refused.headers.get('location')!).searchParams.get('error')).toBe('invalid_request');
    }
    const challenge = createHash('sha256').update('v'.repeat(64)).digest('base64url');
    const login = await authorize({ code_challenge: challenge, code_challenge_method: 'S256' });
    expect(login.status).toBe(200);

    // No public client of the realm takes a password (Keycloak's own admin-cli included).
    const publicClients = (await (await master()).clients.find({ realm: REALM })).filter(
      (c) => c.publicClient,
    );
    expect(publicClients.map((c) => c.clientId)).toEqual(expect.arrayContaining([WEB_CLIENT, 'admin-cli']));
    expect(publicClients.filter((c) => c.directAccessGrantsEnabled).map((c) => c.clientId)).toEqual([]);
    const cli = await tokenRequest({
      grant_type: 'password',
      client_id: 'admin-cli',
      username: person.email,
      password: person.password,
    });
    expect(cli.status).toBe(400);
  });

  it('locks out password guessing, and its access tokens last five minutes', async () => {
    const settings = await (await master()).realms.findOne({ realm: REALM });
    expect(settings).toMatchObject({ bruteForceProtected: true, permanentLockout: false });
    expect(settings!.failureFactor).toBeLessThanOrEqual(10);
    expect(settings!.waitIncrementSeconds).toBeGreaterThanOrEqual(60);
    expect(settings!.accessTokenLifespan).toBeLessThanOrEqual(300);
    // No client of the operator's stretches it (the test-only harness client does, see below).
    const web = await client(WEB_CLIENT);
    expect(web.attributes?.['access.token.lifespan']).toBeUndefined();
    const gateway = await tokenRequest({
      grant_type: 'client_credentials',
      client_id: GATEWAY_CLIENT,
      client_secret: secrets.gateway,
    });
    expect(gateway.body.expires_in).toBeLessThanOrEqual(300);

    // Wrong passwords, one after another: the person is locked out, and their right password then fails too.
    const person = await realm.person({ email: 'guessed@example.com' });
    for (let i = 0; i < 6; i++) {
      const wrong = await tokenRequest({
        grant_type: 'password',
        client_id: HARNESS_CLIENT,
        client_secret: secrets.harness,
        username: person.email,
        password: `guess-${i}`,
      });
      expect(wrong.status).toBe(401);
    }
    const right = await tokenRequest({
      grant_type: 'password',
      client_id: HARNESS_CLIENT,
      client_secret: secrets.harness,
      username: person.email,
      password: person.password,
    });
    expect(right.body.access_token).toBeUndefined();
    const status = await (
      await master()
    ).attackDetection.findOne({ realm: REALM, id: await userId(person.email) });
    expect(status).toMatchObject({ disabled: true });
  });

  describe("the engine's service account", () => {
    const engineToken = () =>
      new ClientCredentialsToken({
        url: kc.url,
        realm: REALM,
        clientId: ENGINE_CLIENT,
        clientSecret: secrets.engine,
      }).get();
    const asEngine = async (method: string, path: string, body?: unknown) => {
      const res = await fetch(`${kc.url}/admin/realms/${REALM}${path}`, {
        method,
        headers: { authorization: `Bearer ${await engineToken()}`, 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      return { status: res.status, body: (await res.json().catch(() => null)) as Record<string, unknown> };
    };

    it('holds no realm-management role: not manage-users, not view-users, not realm-admin', async () => {
      const engine = await client(ENGINE_CLIENT);
      const management = await client('realm-management');
      const account = await (await master()).clients.getServiceAccountUser({ realm: REALM, id: engine.id! });
      const effective = await admin.users.listCompositeClientRoleMappings({
        realm: REALM,
        id: account.id!,
        clientUniqueId: management.id!,
      });
      expect(effective.map((r) => r.name)).toEqual([]);
      expect(claimsOf(await engineToken()).resource_access?.['realm-management']).toBeUndefined();
    });

    it("reads and writes a customer's billing attributes through the sync's own session", async () => {
      const customer = await realm.person({ email: 'synced@example.com' });
      const id = await userId(customer.email);
      // The calls activities/keycloak/sync-user.ts makes, through the session the worker holds.
      const session = new KeycloakSession({
        url: kc.url,
        realm: REALM,
        clientId: ENGINE_CLIENT,
        clientSecret: secrets.engine,
      });
      const user = await session.call((a) => a.users.findOne({ id }));
      expect(user?.id).toBe(id);
      const attributes = { ...user!.attributes, subscription_tier: ['pro'], subscription_status: ['active'] };
      await session.call((a) => a.users.update({ id }, { ...user!, attributes }));
      expect(await realm.attributesOf(customer.email)).toMatchObject({
        subscription_tier: ['pro'],
        subscription_status: ['active'],
      });
    });

    it("cannot see or change an operator, reset an operator's password, or make anyone an operator", async () => {
      const operator = await realm.person({ email: 'operator@example.com', role: 'admin' });
      const editor = await realm.person({ email: 'editor@example.com', role: 'editor' });
      const customer = await realm.person({ email: 'bystander@example.com' });
      for (const person of [operator, editor]) {
        const id = await userId(person.email);
        const before = await (await master()).users.findOne({ realm: REALM, id });
        expect((await asEngine('GET', `/users/${id}`)).status).toBe(403);
        expect(
          (await asEngine('PUT', `/users/${id}`, { ...before, email: 'attacker@example.com' })).status,
        ).toBe(403);
        const reset = await asEngine('PUT', `/users/${id}/reset-password`, {
          type: 'password',
          value: 'attacker-chosen-1',
          temporary: false,
        });
        expect(reset.status).toBe(403);
        expect((await asEngine('DELETE', `/users/${id}`)).status).toBe(403);
        expect((await asEngine('POST', `/users/${id}/impersonation`)).status).toBe(403);
      }
      const operatorLogin = await tokenRequest({
        grant_type: 'password',
        client_id: HARNESS_CLIENT,
        client_secret: secrets.harness,
        username: operator.email,
        password: operator.password,
      });
      expect(operatorLogin.status).toBe(200);

      // Nor can it raise a customer: no role mapping, no group membership, no impersonation.
      const customerId = await userId(customer.email);
      const engine = await client(ENGINE_CLIENT);
      const adminRole = await (
        await master()
      ).clients.findRole({ realm: REALM, id: engine.id!, roleName: 'admin' });
      const mapped = await asEngine('POST', `/users/${customerId}/role-mappings/clients/${engine.id}`, [
        { id: adminRole!.id, name: 'admin' },
      ]);
      expect(mapped.status).toBe(403);
      const groups = await (await master()).groups.find({ realm: REALM, search: OPERATORS_GROUP });
      const operators = groups.find((g) => g.name === OPERATORS_GROUP)!;
      const subGroups = await admin.groups.listSubGroups({ realm: REALM, parentId: operators.id! });
      for (const group of [operators, ...subGroups])
        expect((await asEngine('PUT', `/users/${customerId}/groups/${group.id}`)).status).toBe(403);
      expect((await asEngine('POST', `/users/${customerId}/impersonation`)).status).toBe(403);
      // The realm's own settings, clients and permissions are out of its reach.
      expect((await asEngine('GET', '')).status).toBe(403);
      expect((await asEngine('GET', '/clients')).status).toBe(403);
    });
  });

  it('signs people and the gateway in for scripts through a confidential test-only client, not the web app’s', async () => {
    const harness = await client(HARNESS_CLIENT);
    expect(harness).toMatchObject({ publicClient: false, standardFlowEnabled: false });
    const person = claimsOf(await realm.token({ email: 'script@example.com', role: 'admin' }));
    expect(person).toMatchObject({ azp: HARNESS_CLIENT, email: 'script@example.com', email_verified: true });
    expect([person.aud].flat()).toContain(ENGINE_CLIENT);
    expect(person.resource_access?.[ENGINE_CLIENT]?.roles).toContain('admin');
    const gateway = claimsOf(await realm.token({ email: 'gateway@example.com', role: GATEWAY_ROLE }));
    expect(gateway.resource_access?.[ENGINE_CLIENT]?.roles).toEqual([GATEWAY_ROLE]);
    // Its password grant needs its secret.
    const who = await realm.person({ email: 'script@example.com' });
    const withoutSecret = await tokenRequest({
      grant_type: 'password',
      client_id: HARNESS_CLIENT,
      username: who.email,
      password: who.password,
    });
    expect(withoutSecret.status).toBe(401);
  });
});
