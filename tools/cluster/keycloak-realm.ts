/**
 * The cluster's realm in its own Keycloak, set up as an operator would (docs/operations.md): the engine's
 * confidential client with its roles and the service account that writes user attributes, the web app's
 * public client (with an audience mapper, so its tokens name the engine), the AI gateway's client, and the
 * billing attributes declared in the user profile. Idempotent: a restarted cluster finds it all there.
 */
import { createHash } from 'node:crypto';
import KeycloakAdminClient from '@keycloak/keycloak-admin-client';
import { ensureKeycloakUserProfile } from '../../integrations/keycloak/user-profile';
import { GATEWAY_ROLE } from '../../domain/roles';

export const REALM = 'billing';
export const ENGINE_CLIENT = 'billing-engine';
export const WEB_CLIENT = 'billing-web';
export const GATEWAY_CLIENT = 'ai-gateway';
const ROLES = ['viewer', 'editor', 'admin', GATEWAY_ROLE] as const;
export type ClusterRole = (typeof ROLES)[number];

export interface RealmSecrets {
  /** The engine's client secret (KEYCLOAK_CLIENT_SECRET). */
  engine: string;
  gateway: string;
  /** Every person the cluster signs in gets a password derived from this and their email. */
  people: string;
}

export interface ClusterRealm {
  issuer: string;
  /** A person of the realm with the engine's role (made on first use): what they sign in with. */
  person(user: { email: string; role?: Exclude<ClusterRole, typeof GATEWAY_ROLE> }): Promise<{
    email: string;
    password: string;
  }>;
  /** An access token for this person (made on first use, with the role), or the gateway's. */
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
  if (!(await admin.realms.findOne({ realm }))) {
    // The run's callers keep one token each for its whole length instead of refreshing them.
    await admin.realms.create({ realm, enabled: true, accessTokenLifespan: 3600 });
  }
  await ensureKeycloakUserProfile(admin, realm);

  const clientUuid = async (clientId: string, create: Record<string, unknown>) => {
    const [found] = await admin.clients.find({ realm, clientId });
    if (found?.id) {
      await admin.clients.update({ realm, id: found.id }, { ...found, ...create });
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
  // The engine writes the attributes through its service account.
  const [management] = await admin.clients.find({ realm, clientId: 'realm-management' });
  const manage = (await admin.clients.listRoles({ realm, id: management!.id! })).filter((r) =>
    ['manage-users', 'view-users'].includes(r.name!),
  );
  const engineAccount = await admin.clients.getServiceAccountUser({ realm, id: engine });
  await admin.users.addClientRoleMappings({
    realm,
    id: engineAccount.id!,
    clientUniqueId: management!.id!,
    roles: manage.map((r) => ({ id: r.id!, name: r.name! })),
  });

  const web = await clientUuid(WEB_CLIENT, {
    publicClient: true,
    standardFlowEnabled: true,
    // People of a script (the chaos run's customers) sign in with their password; the web app uses the
    // code flow.
    directAccessGrantsEnabled: true,
    redirectUris: [`${appUrl}/*`],
    // The app redeems its code and renews its tokens from the browser: Keycloak must allow its origin.
    webOrigins: [appUrl],
  });
  const mappers = await admin.clients.listProtocolMappers({ realm, id: web });
  if (!mappers.some((m) => m.name === 'billing-engine audience')) {
    await admin.clients.addProtocolMapper(
      { realm, id: web },
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
    await admin.users.addClientRoleMappings({
      realm,
      id: user!.id!,
      clientUniqueId: engine,
      roles: [await engineRole(role)],
    });
    return { email: email.toLowerCase(), password: passwordOf(email) };
  };

  return {
    issuer: `${url}/realms/${realm}`,
    person,
    async token({ email, role = 'viewer' }) {
      if (role === GATEWAY_ROLE) {
        return tokenOf({
          grant_type: 'client_credentials',
          client_id: GATEWAY_CLIENT,
          client_secret: secrets.gateway,
        });
      }
      const signIn = await person({ email, role });
      return tokenOf({
        grant_type: 'password',
        client_id: WEB_CLIENT,
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
