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

/**
 * Keycloak puts realm roles under realm_access and client roles under resource_access.<client>. Only this
 * engine's client counts: a role another client of the realm grants (another team's "admin") is not ours.
 */
function rolesOf(payload: JWTPayload, clientId: string): string[] {
  const roles = new Set<string>();
  const realm = payload.realm_access as { roles?: unknown } | undefined;
  if (Array.isArray(realm?.roles)) for (const r of realm.roles) if (typeof r === 'string') roles.add(r);
  const resources = payload.resource_access as Record<string, { roles?: unknown }> | undefined;
  const own = resources && Object.hasOwn(resources, clientId) ? resources[clientId] : undefined;
  if (Array.isArray(own?.roles)) for (const r of own.roles) if (typeof r === 'string') roles.add(r);
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

function verifierFor(
  key: KeySource,
  issuer: string,
  audience: string | undefined,
  clientId: string,
): TokenVerifier {
  return cached({
    issuer,
    async verify(token) {
      let payload: JWTPayload;
      try {
        ({ payload } = await jwtVerify(token, key as KeyLike, { issuer, audience, algorithms: ALGORITHMS }));
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
        throw new AppError('unauthenticated', 'invalid_token', 'The token could not be verified');
      }
      const roles = rolesOf(payload, clientId);
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
      if (!payload.sub || !email) {
        throw new AppError('unauthenticated', 'invalid_token', 'The token has no subject or email claim');
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

/** OIDC (JWKS over HTTP) when OIDC_ISSUER is set; otherwise the local development key under VAR_DIR. */
export async function createVerifier(config: Config): Promise<TokenVerifier> {
  if (config.OIDC_ISSUER) {
    const jwksUrl =
      config.OIDC_JWKS_URL ?? `${config.OIDC_ISSUER.replace(/\/$/, '')}/protocol/openid-connect/certs`;
    const jwks = createRemoteJWKSet(new URL(jwksUrl), { timeoutDuration: 5000, cooldownDuration: 30_000 });
    return verifierFor(remoteKeys(jwks), config.OIDC_ISSUER, config.OIDC_AUDIENCE, config.OIDC_CLIENT_ID);
  }
  const { publicKey } = await loadOrCreateLocalKey(config.VAR_DIR);
  return verifierFor(publicKey, LOCAL_ISSUER, config.OIDC_AUDIENCE, config.OIDC_CLIENT_ID);
}
