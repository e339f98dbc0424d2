/**
 * The cluster's realm in its own Keycloak, set up as an operator should (docs/operations.md, docs/security.md):
 * access tokens of five minutes and brute-force protection; the engine's confidential client with its roles,
 * whose service account holds no realm-management role but, through fine-grained admin permissions, may
 * view and manage the realm's users except the operators (the `billing-operators` group, through which
 * people hold `admin` and `editor`); the web app's public client, code flow with PKCE S256 only (with an
 * audience mapper, so its tokens name the engine); the AI gateway's client; and the billing attributes
 * declared in the user profile. No public client takes a password. For the cluster's own scripts and tests
 * only, a confidential client `cluster-test-harness` signs people in with their password and stands in for
 * the gateway, with hour-long tokens (a run keeps one token per caller). Idempotent: a restarted cluster
 * finds it all there, and a realm set up by an older harness is brought up to this.
 */
import { createHash } from 'node:crypto';
import KeycloakAdminClient from '@keycloak/keycloak-admin-client';
import type ClientRepresentation from '@keycloak/keycloak-admin-client/lib/defs/clientRepresentation';
import type PolicyRepresentation from '@keycloak/keycloak-admin-client/lib/defs/policyRepresentation';
import { DecisionStrategy, Logic } from '@keycloak/keycloak-admin-client/lib/defs/policyRepresentation';
import { ensureKeycloakUserProfile } from '../../integrations/keycloak/user-profile';
import { GATEWAY_ROLE } from '../../domain/roles';

export const REALM = 'billing';
export const ENGINE_CLIENT = 'billing-engine';
export const WEB_CLIENT = 'billing-web';
export const GATEWAY_CLIENT = 'ai-gateway';
/**
 * The cluster harness's own client, never an operator's: confidential, the password grant and a service
 * account holding the gateway's role. Scripts (the chaos run, benchmarks, tests) sign people in through it
 * instead of the web app's public client, which takes no password.
 */
export const HARNESS_CLIENT = 'cluster-test-harness';
/** People who run the billing business; the engine's service account can neither see nor change them. */
export const OPERATORS_GROUP = 'billing-operators';
/** Held by the engine's service account: what the realm's admin permissions grant user access to. */
export const USER_SYNC_ROLE = 'billing-user-sync';
/** The subgroups of OPERATORS_GROUP, each granting the engine's client role of its name. */
const OPERATOR_ROLES = { admin: 'admins', editor: 'editors' } as const;
const ROLES = ['viewer', 'editor', 'admin', GATEWAY_ROLE] as const;
export type ClusterRole = (typeof ROLES)[number];

export interface RealmSecrets {
  /** The engine's client secret (KEYCLOAK_CLIENT_SECRET). */
  engine: string;
  gateway: string;
  /** Every person the cluster signs in gets a password derived from this and their email. */
  people: string;
  /** The secret of HARNESS_CLIENT. */
  harness: string;
}

/**
 * The realm's sign-in rules. Access tokens live five minutes (the web app renews them with its refresh
 * token). Five failed sign-ins lock a person out for a minute, longer with each further failure up to a
 * quarter of an hour, never for good (a permanent lockout would let anyone lock an operator out); the
 * count is forgotten after twelve hours without a failure. Fine-grained admin permissions are on.
 */
export const REALM_SETTINGS = {
  enabled: true,
  accessTokenLifespan: 300,
  bruteForceProtected: true,
  permanentLockout: false,
  failureFactor: 5,
  waitIncrementSeconds: 60,
  maxFailureWaitSeconds: 900,
  maxDeltaTimeSeconds: 43_200,
  quickLoginCheckMilliSeconds: 1000,
  minimumQuickLoginWaitSeconds: 60,
  adminPermissionsEnabled: true,
};

export interface ClusterRealm {
  issuer: string;
  /** A person of the realm with the engine's role (made on first use): what they sign in with. */
  person(user: { email: string; role?: Exclude<ClusterRole, typeof GATEWAY_ROLE> }): Promise<{
    email: string;
    password: string;
  }>;
  /**
   * An access token for this person (made on first use, with the role), or one with the gateway's role;
   * from HARNESS_CLIENT, valid for an hour.
   */
  token(user: { email: string; role?: ClusterRole }): Promise<string>;
  /** The attributes Keycloak holds for a person the cluster signed in (null for none such). */
  attributesOf(email: string): Promise<Record<string, string[]> | null>;
}

export async function provisionRealm(
  url: string,
  master: { user: string; password: string },
  secrets: RealmSecrets,
  /** Where the web app is served (PUBLIC_BASE_URL): the only origin sign-in returns to and answers. */
  appUrl: string,
): Promise<ClusterRealm> {
  const admin = new KeycloakAdminClient({ baseUrl: url, realmName: 'master' });
  // The master realm's admin tokens last a minute: every use signs in again rather than track expiry.
  // Keycloak answers 5xx for a while after its database restarts (its pool's connections died with it).
  const signedIn = async () => {
    await patiently(() =>
      admin.auth({
        grantType: 'password',
        clientId: 'admin-cli',
        username: master.user,
        password: master.password,
      }),
    );
    return admin;
  };
  await signedIn();
  const realm = REALM;
  if (!(await admin.realms.findOne({ realm }))) await admin.realms.create({ realm, ...REALM_SETTINGS });
  else await admin.realms.update({ realm }, REALM_SETTINGS);
  await ensureKeycloakUserProfile(admin, realm);

  const clientUuid = async (clientId: string, create: ClientRepresentation) => {
    const [found] = await admin.clients.find({ realm, clientId });
    if (found?.id) {
      const attributes = { ...found.attributes, ...create.attributes };
      await admin.clients.update({ realm, id: found.id }, { ...found, ...create, attributes });
      return found.id;
    }
    return (await admin.clients.create({ realm, clientId, ...create })).id;
  };
  const engine = await clientUuid(ENGINE_CLIENT, {
    publicClient: false,
    secret: secrets.engine,
    serviceAccountsEnabled: true,
    standardFlowEnabled: false,
    directAccessGrantsEnabled: false,
  });
  for (const name of ROLES) {
    if (!(await admin.clients.findRole({ realm, id: engine, roleName: name })))
      await admin.clients.createRole({ realm, id: engine, name });
  }
  const engineRole = async (name: string) => {
    const r = await admin.clients.findRole({ realm, id: engine, roleName: name });
    return { id: r!.id!, name: r!.name! };
  };

  // Operators hold their roles through the group, which the engine cannot reach.
  const operators = await grantUserSync(admin, realm, engine);
  const operatorGroups = {} as Record<keyof typeof OPERATOR_ROLES, string>;
  for (const [role, name] of Object.entries(OPERATOR_ROLES) as [keyof typeof OPERATOR_ROLES, string][]) {
    operatorGroups[role] = await ensureGroup(admin, realm, name, operators);
    await admin.groups.addClientRoleMappings({
      realm,
      id: operatorGroups[role],
      clientUniqueId: engine,
      roles: [await engineRole(role)],
    });
  }

  const web = await clientUuid(WEB_CLIENT, {
    publicClient: true,
    standardFlowEnabled: true,
    implicitFlowEnabled: false,
    // A browser app cannot keep a secret: the authorization code is bound to the app with PKCE (S256
    // enforced), and the client takes no password, so a person types theirs only into Keycloak's page.
    directAccessGrantsEnabled: false,
    serviceAccountsEnabled: false,
    attributes: { 'pkce.code.challenge.method': 'S256' },
    redirectUris: [`${appUrl}/*`],
    // The app redeems its code and renews its tokens from the browser: Keycloak must allow its origin.
    webOrigins: [appUrl],
  });
  await ensureAudienceMapper(admin, realm, web);
  // Keycloak's own public clients of the realm (admin-cli takes passwords by default): the realm is
  // administered from the master realm.
  for (const c of await admin.clients.find({ realm })) {
    if (c.publicClient && c.directAccessGrantsEnabled && c.id)
      await admin.clients.update({ realm, id: c.id }, { ...c, directAccessGrantsEnabled: false });
  }

  const gateway = await clientUuid(GATEWAY_CLIENT, {
    publicClient: false,
    secret: secrets.gateway,
    serviceAccountsEnabled: true,
    standardFlowEnabled: false,
    directAccessGrantsEnabled: false,
  });
  const gatewayAccount = await admin.clients.getServiceAccountUser({ realm, id: gateway });
  await admin.users.addClientRoleMappings({
    realm,
    id: gatewayAccount.id!,
    clientUniqueId: engine,
    roles: [await engineRole(GATEWAY_ROLE)],
  });

  const harness = await clientUuid(HARNESS_CLIENT, {
    description: 'npm run cluster: its scripts and tests sign in here; not part of a deployment',
    publicClient: false,
    secret: secrets.harness,
    standardFlowEnabled: false,
    implicitFlowEnabled: false,
    directAccessGrantsEnabled: true,
    serviceAccountsEnabled: true,
    // The chaos run and the benchmarks keep one token per caller for their whole length.
    attributes: { 'access.token.lifespan': '3600' },
  });
  await ensureAudienceMapper(admin, realm, harness);
  const harnessAccount = await admin.clients.getServiceAccountUser({ realm, id: harness });
  await admin.users.addClientRoleMappings({
    realm,
    id: harnessAccount.id!,
    clientUniqueId: engine,
    roles: [await engineRole(GATEWAY_ROLE)],
  });

  const tokenUrl = `${url}/realms/${realm}/protocol/openid-connect/token`;
  const tokenOf = (form: Record<string, string>) =>
    patiently(async () => {
      const res = await fetch(tokenUrl, { method: 'POST', body: new URLSearchParams(form) });
      const body = (await res.json().catch(() => ({}))) as {
        access_token?: string;
        error_description?: string;
      };
      if (!res.ok || !body.access_token)
        throw new Error(`Keycloak refused a token (${res.status}): ${body.error_description ?? ''}`);
      return body.access_token;
    });
  const passwordOf = (email: string) =>
    createHash('sha256').update(`${secrets.people}:${email.toLowerCase()}`).digest('hex');
  const findUser = async (email: string) =>
    (await (await signedIn()).users.find({ realm, username: email.toLowerCase(), exact: true }))[0];

  const person: ClusterRealm['person'] = async ({ email, role = 'viewer' }) => {
    let user = await findUser(email);
    if (!user) {
      await admin.users.create({
        realm,
        username: email.toLowerCase(),
        email,
        // As after following Keycloak's link: the engine refuses people whose address is unverified.
        emailVerified: true,
        firstName: 'Chaos',
        lastName: 'Customer',
        enabled: true,
        credentials: [{ type: 'password', value: passwordOf(email), temporary: false }],
      });
      user = await findUser(email);
    }
    if (role === 'viewer') {
      await admin.users.addClientRoleMappings({
        realm,
        id: user!.id!,
        clientUniqueId: engine,
        roles: [await engineRole(role)],
      });
    } else {
      await admin.users.addToGroup({ realm, id: user!.id!, groupId: operatorGroups[role] });
    }
    return { email: email.toLowerCase(), password: passwordOf(email) };
  };

  return {
    issuer: `${url}/realms/${realm}`,
    person,
    async token({ email, role = 'viewer' }) {
      if (role === GATEWAY_ROLE) {
        return tokenOf({
          grant_type: 'client_credentials',
          client_id: HARNESS_CLIENT,
          client_secret: secrets.harness,
        });
      }
      const signIn = await person({ email, role });
      return tokenOf({
        grant_type: 'password',
        client_id: HARNESS_CLIENT,
        client_secret: secrets.harness,
        username: signIn.email,
        password: signIn.password,
        scope: 'openid',
      });
    },
    async attributesOf(email) {
      const user = await findUser(email);
      if (!user?.id) return null;
      const full = await admin.users.findOne({ realm, id: user.id });
      return (full?.attributes as Record<string, string[]> | undefined) ?? {};
    },
  };
}

/** The group of this name (under `parent`, or at the top), made if missing; returns its id. */
async function ensureGroup(
  admin: KeycloakAdminClient,
  realm: string,
  name: string,
  parent?: string,
): Promise<string> {
  const siblings = parent
    ? await admin.groups.listSubGroups({ realm, parentId: parent, search: name, max: 100 })
    : await admin.groups.find({ realm, search: name, exact: true, max: 100 });
  const found = siblings.find((g) => g.name === name);
  if (found?.id) return found.id;
  if (parent) return (await admin.groups.createChildGroup({ realm, id: parent }, { name })).id;
  return (await admin.groups.create({ realm, name })).id;
}

/** Tokens of this client name the engine as their audience, as the engine checks (OIDC_AUDIENCE). */
async function ensureAudienceMapper(admin: KeycloakAdminClient, realm: string, id: string): Promise<void> {
  const mappers = await admin.clients.listProtocolMappers({ realm, id });
  if (mappers.some((m) => m.name === 'billing-engine audience')) return;
  await admin.clients.addProtocolMapper(
    { realm, id },
    {
      name: 'billing-engine audience',
      protocol: 'openid-connect',
      protocolMapper: 'oidc-audience-mapper',
      config: {
        'included.client.audience': ENGINE_CLIENT,
        'access.token.claim': 'true',
        'id.token.claim': 'false',
      },
    },
  );
}

/**
 * What the attribute sync needs and no more, as far as Keycloak can say it. The sync reads a user by id and
 * writes their representation back with new attributes: `view` and `manage` of users. Keycloak has no
 * narrower scope than `manage` for writing attributes, and the realm-management role `manage-users` grants
 * it over everybody, operators included, with role mappings and group membership besides (a leaked client
 * secret could then reset an admin's password, or make anyone an admin). So the service account holds no
 * realm-management role at all; the realm's fine-grained admin permissions (Keycloak 26.2 and later) grant
 * holders of USER_SYNC_ROLE `view` and `manage` of users, and deny everybody (this service account
 * included) the members of OPERATORS_GROUP and its subgroups. Not granted, so refused: mapping roles,
 * joining groups, impersonating, anything about clients or the realm.
 *
 * What `manage` still allows over a customer (not an operator): changing their email or credentials,
 * including resetting their password, and deleting them. Keycloak denies a whole user when any
 * permission on all users denies one scope (a permission refusing only `reset-password` also took away
 * `view` and `manage` when tried), so that cannot be carved out. docs/security.md says so.
 *
 * Turns the realm's admin permissions on and makes OPERATORS_GROUP if missing; `engine` is the engine
 * client's id (not its client id). Returns the operators' group id.
 */
export async function grantUserSync(
  admin: KeycloakAdminClient,
  realm: string,
  engine: string,
): Promise<string> {
  await admin.realms.update({ realm }, { adminPermissionsEnabled: true });
  const operators = await ensureGroup(admin, realm, OPERATORS_GROUP);
  const account = await admin.clients.getServiceAccountUser({ realm, id: engine });
  // An older cluster gave the account manage-users and view-users: nothing of realm-management stays.
  const [management] = await admin.clients.find({ realm, clientId: 'realm-management' });
  const held = await admin.users.listClientRoleMappings({
    realm,
    id: account.id!,
    clientUniqueId: management!.id!,
  });
  if (held.length > 0) {
    await admin.users.delClientRoleMappings({
      realm,
      id: account.id!,
      clientUniqueId: management!.id!,
      roles: held.map((r) => ({ id: r.id!, name: r.name! })),
    });
  }
  if (!(await admin.roles.findOneByName({ realm, name: USER_SYNC_ROLE }))) {
    await admin.roles.create({
      realm,
      name: USER_SYNC_ROLE,
      description: `Views and manages users outside ${OPERATORS_GROUP} (the realm's admin permissions): the billing engine's attribute sync`,
    });
  }
  const syncRole = await admin.roles.findOneByName({ realm, name: USER_SYNC_ROLE });
  await admin.users.addRealmRoleMappings({
    realm,
    id: account.id!,
    roles: [{ id: syncRole!.id!, name: syncRole!.name! }],
  });

  // The permissions live in the realm's `admin-permissions` client, made when they were switched on.
  const [permissions] = await admin.clients.find({ realm, clientId: 'admin-permissions' });
  const id = permissions!.id!;
  const existing = async (name: string) =>
    ((await admin.clients.listPolicies({ realm, id, name, max: 100 })) || []).find((p) => p.name === name);
  const ensure = async (kind: 'policy' | 'permission', type: string, rep: PolicyRepresentation) => {
    const found = await existing(rep.name!);
    if (found?.id) {
      // What the list answers is a summary (no roles, users or scopes): the whole declaration goes back.
      const update = { ...rep, id: found.id };
      if (kind === 'policy')
        await admin.clients.updatePolicy({ realm, id, type, policyId: found.id }, update);
      else await admin.clients.updatePermission({ realm, id, type, permissionId: found.id }, update);
      return found.id;
    }
    const made =
      kind === 'policy'
        ? await admin.clients.createPolicy({ realm, id, type }, rep)
        : await admin.clients.createPermission({ realm, id, type }, rep);
    return made.id!;
  };
  // A role policy, not a user or client policy: Keycloak evaluates those wrongly for service accounts.
  const engineHolds = await ensure('policy', 'role', {
    name: `holders of ${USER_SYNC_ROLE}`,
    description: "The billing engine's service account",
    logic: Logic.POSITIVE,
    roles: [{ id: syncRole!.id!, required: true }],
  });
  // A user policy naming nobody never grants: a permission with it denies everyone it applies to.
  const nobody = await ensure('policy', 'user', {
    name: 'nobody',
    description: 'Grants no one: the permissions that use it deny',
    logic: Logic.POSITIVE,
    users: [],
  });
  await ensure('permission', 'scope', {
    name: 'the billing engine views and manages users',
    description: `Reads users by id and writes their billing attributes; ${OPERATORS_GROUP} is excepted below`,
    resourceType: 'Users',
    scopes: ['view', 'manage'],
    policies: [engineHolds],
    decisionStrategy: DecisionStrategy.UNANIMOUS,
  });
  await ensure('permission', 'scope', {
    name: `no delegated administrator reaches ${OPERATORS_GROUP}`,
    description:
      'Its members and subgroups (the admins and editors) are out of reach of every delegated administrator, the billing engine included; realm and server administrators are not affected',
    resourceType: 'Groups',
    resources: [operators],
    scopes: ['view', 'manage', 'view-members', 'manage-members', 'manage-membership', 'impersonate-members'],
    policies: [nobody],
    decisionStrategy: DecisionStrategy.UNANIMOUS,
  });
  return operators;
}

/** Tries again for up to half a minute: Keycloak recovers on its own once its database is back. */
async function patiently<T>(call: () => Promise<T>): Promise<T> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    try {
      return await call();
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await new Promise((r) => setTimeout(r, 1000));
    }
  }
}
