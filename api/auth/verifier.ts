import { createRemoteJWKSet, errors, jwtVerify, type JWTPayload, type KeyLike } from 'jose';
import type { Config } from '../../config/env';
import { AppError } from '../../domain/errors';
import { highestRole } from '../../domain/roles';
import type { Identity } from './identity';
import { LOCAL_ISSUER, loadOrCreateLocalKey } from './local-key';

export interface TokenVerifier {
  readonly issuer: string;
  verify(token: string): Promise<Identity>;
}

type KeySource = KeyLike | ReturnType<typeof createRemoteJWKSet>;

/** Keycloak puts realm roles under realm_access and client roles under resource_access.<client>. */
function rolesOf(payload: JWTPayload): string[] {
  const roles = new Set<string>();
  const realm = payload.realm_access as { roles?: unknown } | undefined;
  if (Array.isArray(realm?.roles)) for (const r of realm.roles) if (typeof r === 'string') roles.add(r);
  const resources = payload.resource_access as Record<string, { roles?: unknown }> | undefined;
  for (const entry of Object.values(resources ?? {})) {
    if (Array.isArray(entry?.roles)) for (const r of entry.roles) if (typeof r === 'string') roles.add(r);
  }
  return [...roles];
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

function verifierFor(key: KeySource, issuer: string, audience?: string): TokenVerifier {
  return cached({
    issuer,
    async verify(token) {
      let payload: JWTPayload;
      try {
        ({ payload } = await jwtVerify(token, key as KeyLike, { issuer, audience }));
      } catch (err) {
        if (err instanceof errors.JWTExpired)
          throw new AppError(401, 'token_expired', 'The token has expired');
        // Anything that is not a JOSE verdict on the token (a timeout, a refused connection) is our outage.
        const aboutTheToken = err instanceof errors.JOSEError && !(err instanceof errors.JWKSTimeout);
        if (!aboutTheToken) {
          throw new AppError(503, 'identity_provider_unavailable', 'Could not fetch the signing keys');
        }
        throw new AppError(401, 'invalid_token', 'The token could not be verified');
      }
      const email = typeof payload.email === 'string' ? payload.email : null;
      if (!payload.sub || !email) {
        throw new AppError(401, 'invalid_token', 'The token has no subject or email claim');
      }
      const roles = rolesOf(payload);
      const name = typeof payload.name === 'string' ? payload.name : null;
      return {
        sub: payload.sub,
        email: email.toLowerCase(),
        name,
        roles,
        role: highestRole(roles),
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
    return verifierFor(jwks, config.OIDC_ISSUER, config.OIDC_AUDIENCE);
  }
  const { publicKey } = await loadOrCreateLocalKey(config.VAR_DIR);
  return verifierFor(publicKey, LOCAL_ISSUER, config.OIDC_AUDIENCE);
}
