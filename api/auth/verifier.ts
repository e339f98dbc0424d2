import { createRemoteJWKSet, errors, jwtVerify, type JWTPayload, type KeyLike } from 'jose';
import type { Config } from '../../config/env';
import { AppError } from '../../domain/errors';
import { ConflictingRoles, GATEWAY_ROLE, principalOf, type Principal } from '../../domain/roles';
import type { Identity } from '../../domain/identity';
import { LOCAL_ISSUER, loadOrCreateLocalKey } from '../../services/auth/local-key';

export interface TokenVerifier {
  readonly issuer: string;
  verify(token: string): Promise<Identity>;
}

type KeySource = KeyLike | ReturnType<typeof createRemoteJWKSet>;

/** What the engine accepts of a token beyond its signature, issuer and audience. */
interface TokenPolicy {
  issuer: string;
  audience: string | undefined;
  /** Whose client roles count (resource_access.<clientId>.roles). */
  clientId: string;
  /** The clients a token may have been issued to (its `azp`). */
  allowedClients: ReadonlySet<string>;
  /** Realm roles count only with this prefix, which is taken off; none count without one. */
  realmRolePrefix: string | undefined;
}

/** No client of ours has this many roles: a token carrying more for it is not one our realm issued for us. */
const MAX_CLIENT_ROLES = 100;
const MAX_ROLE_LENGTH = 200;

/** holder.roles when it is an array of its own, else none: a claim of another shape grants nothing. */
function rolesIn(holder: unknown): unknown[] {
  if (typeof holder !== 'object' || holder === null || !Object.hasOwn(holder, 'roles')) return [];
  const roles = (holder as { roles: unknown }).roles;
  return Array.isArray(roles) ? roles : [];
}

function isRoleName(r: unknown): r is string {
  return typeof r === 'string' && r.length > 0 && r.length <= MAX_ROLE_LENGTH;
}

/**
 * Keycloak puts realm roles under realm_access and client roles under resource_access.<client>. Only this
 * engine's client counts: any team of a shared realm can hold a realm role named "admin", and a role
 * another client grants (another team's "admin") is not ours. Realm roles count only when an operator
 * names a prefix for them (OIDC_REALM_ROLE_PREFIX), and then only those carrying it, without it.
 */
function rolesOf(payload: JWTPayload, policy: TokenPolicy): string[] {
  const roles = new Set<string>();
  const resources = payload.resource_access;
  // Own keys only: a client named "__proto__" or "constructor" must not reach Object.prototype.
  const own =
    typeof resources === 'object' && resources !== null && Object.hasOwn(resources, policy.clientId)
      ? (resources as Record<string, unknown>)[policy.clientId]
      : undefined;
  const clientRoles = rolesIn(own);
  if (clientRoles.length > MAX_CLIENT_ROLES) {
    throw new AppError('unauthenticated', 'invalid_token', 'The token carries too many roles');
  }
  for (const r of clientRoles) if (isRoleName(r)) roles.add(r);
  const prefix = policy.realmRolePrefix;
  if (prefix) {
    // A user of a shared realm may hold many realm roles; only the prefixed ones are ours.
    for (const r of rolesIn(payload.realm_access)) {
      if (isRoleName(r) && r.startsWith(prefix) && r.length > prefix.length)
        roles.add(r.slice(prefix.length));
    }
    if (roles.size > MAX_CLIENT_ROLES) {
      throw new AppError('unauthenticated', 'invalid_token', 'The token carries too many roles');
    }
  }
  return [...roles];
}

function serviceName(payload: JWTPayload): string | null {
  for (const claim of ['preferred_username', 'azp', 'client_id']) {
    const value = payload[claim];
    if (typeof value === 'string' && value.length > 0 && value.length <= 200) return value;
  }
  return null;
}

// Public-key algorithms only: a token whose header names HS256 (signed with the public key as a shared
// secret) or "none" is refused as a bad token before any key is used.
const ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA'];

/** Fetching the issuer's keys failed: our outage (503), not a verdict on the token. */
class SigningKeysUnavailable extends Error {}

/** The JWKS getter with its fetch failures told apart from "no key matches this token". */
function remoteKeys(jwks: ReturnType<typeof createRemoteJWKSet>): ReturnType<typeof createRemoteJWKSet> {
  const wrapped = async (...args: Parameters<typeof jwks>) => {
    try {
      return await jwks(...args);
    } catch (err) {
      const aboutTheToken =
        err instanceof errors.JWKSNoMatchingKey ||
        err instanceof errors.JWKSMultipleMatchingKeys ||
        err instanceof errors.JOSEAlgNotAllowed ||
        err instanceof errors.JWSInvalid;
      throw aboutTheToken ? err : new SigningKeysUnavailable((err as Error).message);
    }
  };
  return Object.assign(wrapped, jwks);
}

const CACHE_LIMIT = 10_000;

/**
 * Remembers tokens already verified until they expire: a signature check costs ~0.1 ms, and the AI
 * gateway sends the same token on every check-access. The map is bounded; the oldest entry goes first.
 */
function cached(inner: TokenVerifier): TokenVerifier {
  const seen = new Map<string, { identity: Identity; expMs: number }>();
  return {
    issuer: inner.issuer,
    async verify(token) {
      const hit = seen.get(token);
      if (hit && hit.expMs > Date.now()) return hit.identity;
      if (hit) seen.delete(token);
      const identity = await inner.verify(token);
      if (seen.size >= CACHE_LIMIT) seen.delete(seen.keys().next().value as string);
      seen.set(token, { identity, expMs: identity.expMs });
      return identity;
    },
  };
}

function invalid(message: string): AppError {
  return new AppError('unauthenticated', 'invalid_token', message);
}

function verifierFor(key: KeySource, policy: TokenPolicy): TokenVerifier {
  const { issuer, audience } = policy;
  return cached({
    issuer,
    async verify(token) {
      let payload: JWTPayload;
      try {
        ({ payload } = await jwtVerify(token, key as KeyLike, {
          issuer,
          audience,
          algorithms: ALGORITHMS,
          // A token without an expiry would verify forever; one without a subject names nobody.
          requiredClaims: ['exp', 'sub'],
        }));
      } catch (err) {
        if (err instanceof errors.JWTExpired)
          throw new AppError('unauthenticated', 'token_expired', 'The token has expired');
        // Only a failure to fetch the issuer's keys is our outage; anything else (a malformed token, an
        // algorithm the key does not use) is the token's fault.
        if (err instanceof SigningKeysUnavailable || err instanceof errors.JWKSTimeout) {
          throw new AppError(
            'unavailable',
            'identity_provider_unavailable',
            'Could not fetch the signing keys',
          );
        }
        throw invalid('The token could not be verified');
      }
      // Keycloak signs ID and refresh tokens with the same key as access tokens; only an access token
      // (typ Bearer) is a credential for an API.
      if (payload.typ !== undefined && payload.typ !== 'Bearer')
        throw invalid('The token is not an access token');
      // The client the token was issued to: a token another client of the realm obtained (its users' or its
      // own) may name our audience, and must still not work here.
      if (typeof payload.azp !== 'string' || !policy.allowedClients.has(payload.azp))
        throw invalid('The token was issued to a client this engine does not accept');
      if (typeof payload.sub !== 'string' || payload.sub.length === 0 || payload.sub.length > 255)
        throw invalid('The token has no usable subject');
      const roles = rolesOf(payload, policy);
      let role: Principal;
      try {
        role = principalOf(roles);
      } catch (err) {
        if (!(err instanceof ConflictingRoles)) throw err;
        throw new AppError(
          'forbidden',
          'conflicting_roles',
          `A token with the ${GATEWAY_ROLE} role may not be editor or admin`,
        );
      }
      // A Keycloak service account (the gateway's client-credentials token) has no email; it is named by
      // its username instead, which is what audit entries then show.
      const email =
        typeof payload.email === 'string'
          ? payload.email
          : role === GATEWAY_ROLE
            ? serviceName(payload)
            : null;
      if (!email) throw invalid('The token has no email claim');
      // A person's email keys their customer record, the gateway's lookups and the once-per-email trial:
      // anyone can type someone else's address at sign-up, so only one the identity provider has checked
      // identifies a person here. The gateway is a service account and is named, not identified, by it.
      if (role !== GATEWAY_ROLE && payload.email_verified !== true) {
        throw new AppError(
          'forbidden',
          'email_not_verified',
          'Verify your email address with the identity provider, then sign in again',
        );
      }
      const name = typeof payload.name === 'string' ? payload.name : null;
      return {
        sub: payload.sub,
        email: email.toLowerCase(),
        name,
        roles,
        role,
        expMs: (payload.exp ?? 0) * 1000,
      };
    },
  });
}

/** The clients a token may come from: OIDC_ALLOWED_CLIENTS, or the engine's, the web app's and the gateway's. */
export function allowedClients(config: Config): Set<string> {
  if (config.OIDC_ALLOWED_CLIENTS) {
    return new Set(
      config.OIDC_ALLOWED_CLIENTS.split(',')
        .map((c) => c.trim())
        .filter(Boolean),
    );
  }
  const clients = [config.OIDC_CLIENT_ID, config.OIDC_WEB_CLIENT_ID, config.OIDC_GATEWAY_CLIENT_ID];
  return new Set(clients.filter((c): c is string => Boolean(c)));
}

function policyOf(config: Config, issuer: string): TokenPolicy {
  return {
    issuer,
    audience: config.OIDC_AUDIENCE,
    clientId: config.OIDC_CLIENT_ID,
    allowedClients: allowedClients(config),
    realmRolePrefix: config.OIDC_REALM_ROLE_PREFIX,
  };
}

/** OIDC (JWKS over HTTP) when OIDC_ISSUER is set; otherwise the local development key under VAR_DIR. */
export async function createVerifier(config: Config): Promise<TokenVerifier> {
  if (config.OIDC_ISSUER) {
    const jwksUrl =
      config.OIDC_JWKS_URL ?? `${config.OIDC_ISSUER.replace(/\/$/, '')}/protocol/openid-connect/certs`;
    const jwks = createRemoteJWKSet(new URL(jwksUrl), { timeoutDuration: 5000, cooldownDuration: 30_000 });
    return verifierFor(remoteKeys(jwks), policyOf(config, config.OIDC_ISSUER));
  }
  const { publicKey } = await loadOrCreateLocalKey(config.VAR_DIR);
  return verifierFor(publicKey, policyOf(config, LOCAL_ISSUER));
}
