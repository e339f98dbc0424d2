/**
 * A real Keycloak (tools/keycloak.js) for a test file, and realms set up the way an operator would: a
 * confidential client whose service account holds realm-management roles, and a user profile that already
 * declares another system's attribute (`department`) besides the billing ones.
 */
import { randomUUID } from 'node:crypto';
import KeycloakAdminClient from '@keycloak/keycloak-admin-client';
import type UserRepresentation from '@keycloak/keycloak-admin-client/lib/defs/userRepresentation';
import type { KeycloakSettings } from '../../integrations/keycloak/settings';
import { ensureKeycloakUserProfile } from '../../integrations/keycloak/user-profile';

interface StartedKeycloak {
  url: string;
  adminUser: string;
  adminPassword: string;
  stop(): Promise<void>;
}
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { launchKeycloak, startKeycloak, waitUntilAnswering } = require('../../tools/keycloak') as {
  startKeycloak(options: { log?: (msg: string) => void; port?: number }): Promise<StartedKeycloak>;
  launchKeycloak(options: { log?: (msg: string) => void }): Promise<StartedKeycloak>;
  waitUntilAnswering(url: string, server: null, timeoutMs: number): Promise<void>;
};

export const KEYCLOAK_START_TIMEOUT_MS = 240_000;

/** Where the global setup tells the test workers of the run's shared Keycloak. */
const SHARED_ENV = 'TEST_SHARED_KEYCLOAK_SERVER';

/**
 * For the whole suite (`npm test` with no file named sets `TEST_SHARED_KEYCLOAK=1`): one Keycloak that the
 * suites share, each making realms of its own in it, launched by the global setup so that its start-up
 * (a JVM's, 10-20 s of both cores) overlaps the first suites instead of repeating in every Keycloak suite.
 * A suite run alone starts its own.
 */
export async function launchSharedKeycloak(): Promise<{ stop(): Promise<void> } | null> {
  if (process.env.TEST_SHARED_KEYCLOAK !== '1') return null;
  const kc = await launchKeycloak({ log: () => {} });
  const { url, adminUser, adminPassword } = kc;
  process.env[SHARED_ENV] = JSON.stringify({ url, adminUser, adminPassword });
  return kc;
}

/** The run's shared Keycloak once it answers, or null when the run has none. */
async function sharedKeycloak(): Promise<StartedKeycloak | null> {
  const shared = process.env[SHARED_ENV];
  if (!shared) return null;
  const { url, adminUser, adminPassword } = JSON.parse(shared) as Omit<StartedKeycloak, 'stop'>;
  await waitUntilAnswering(url, null, KEYCLOAK_START_TIMEOUT_MS).catch((err: Error) => {
    throw new Error(`the run's shared Keycloak (${url}), launched by the global setup: ${err.message}`);
  });
  // The run's, not the suite's: the global teardown stops it.
  return { url, adminUser, adminPassword, stop: async () => undefined };
}

export interface RealmOptions {
  /** Declare the billing attributes in the user profile (what the setup tool does). Default true. */
  declareBillingAttributes?: boolean;
  /** realm-management roles of the engine's service account. Default manage-users and view-users. */
  serviceAccountRoles?: string[];
  /** Fixed names, for settings that must be known before the realm exists. Default random. */
  name?: string;
  clientSecret?: string;
}

export interface TestRealm {
  name: string;
  /** What the engine would be configured with for this realm. */
  settings: KeycloakSettings;
  /** A user with a unique email and `department=ops`; returns their id and email. */
  createUser(attributes?: Record<string, string[]>, email?: string): Promise<{ id: string; email: string }>;
  getUser(id: string): Promise<UserRepresentation>;
}

export interface TestKeycloak {
  url: string;
  /** Master-realm administrator. */
  admin: KeycloakAdminClient;
  createRealm(options?: RealmOptions): Promise<TestRealm>;
  stop(): Promise<void>;
}

/** A Keycloak for a suite: the run's shared one, unless the suite needs its own port or the run has none. */
export async function startTestKeycloak(options: { port?: number } = {}): Promise<TestKeycloak> {
  const kc =
    (options.port === undefined ? await sharedKeycloak() : null) ??
    (await startKeycloak({ log: () => {}, port: options.port }));
  const admin = new KeycloakAdminClient({ baseUrl: kc.url, realmName: 'master' });
  try {
    await admin.auth({
      grantType: 'password',
      clientId: 'admin-cli',
      username: kc.adminUser,
      password: kc.adminPassword,
    });
  } catch (err) {
    await kc.stop();
    throw err;
  }
  return {
    url: kc.url,
    admin,
    createRealm: (options) => createRealm(admin, kc.url, options),
    stop: () => kc.stop(),
  };
}

async function createRealm(
  admin: KeycloakAdminClient,
  url: string,
  options: RealmOptions = {},
): Promise<TestRealm> {
  const realm = options.name ?? `billing-${randomUUID().slice(0, 8)}`;
  await admin.realms.create({ realm, enabled: true });

  const profile = await admin.users.getProfile({ realm });
  await admin.users.updateProfile({
    ...profile,
    realm,
    attributes: [
      ...(profile.attributes ?? []),
      { name: 'department', displayName: 'Department', permissions: { view: ['admin'], edit: ['admin'] } },
    ],
  });
  if (options.declareBillingAttributes ?? true) await ensureKeycloakUserProfile(admin, realm);

  const clientId = 'billing-engine';
  const clientSecret = options.clientSecret ?? randomUUID();
  const { id: clientUuid } = await admin.clients.create({
    realm,
    clientId,
    secret: clientSecret,
    publicClient: false,
    serviceAccountsEnabled: true,
    standardFlowEnabled: false,
    directAccessGrantsEnabled: false,
  });
  const serviceAccount = await admin.clients.getServiceAccountUser({ realm, id: clientUuid });
  const [realmManagement] = await admin.clients.find({ realm, clientId: 'realm-management' });
  const wanted = options.serviceAccountRoles ?? ['manage-users', 'view-users'];
  const roles = (await admin.clients.listRoles({ realm, id: realmManagement!.id! })).filter((r) =>
    wanted.includes(r.name!),
  );
  if (roles.length > 0) {
    await admin.users.addClientRoleMappings({
      realm,
      id: serviceAccount.id!,
      clientUniqueId: realmManagement!.id!,
      roles: roles.map((r) => ({ id: r.id!, name: r.name! })),
    });
  }

  return {
    name: realm,
    settings: { url, realm, clientId, clientSecret },
    async createUser(
      attributes = { department: ['ops'] },
      email = `user-${randomUUID().slice(0, 8)}@example.com`,
    ) {
      const { id } = await admin.users.create({
        realm,
        username: email,
        email,
        // Verified, as after the user followed Keycloak's link: the engine refuses unverified people.
        emailVerified: true,
        firstName: 'Ada',
        lastName: 'Lovelace',
        enabled: true,
        attributes,
      });
      return { id, email };
    },
    async getUser(id) {
      const user = await admin.users.findOne({ realm, id });
      if (!user) throw new Error(`no user ${id} in ${realm}`);
      return user;
    },
  };
}
