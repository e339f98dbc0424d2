import { existsSync, mkdirSync, readFileSync, writeFileSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { exportJWK, generateKeyPair, importJWK, SignJWT, type JWK, type KeyLike } from 'jose';
import { systemClock, type Clock } from '../../domain/clock';

/** Issuer of tokens signed by the local development key; never accepted in production. */
export const LOCAL_ISSUER = 'billing-engine-local';
const ALG = 'ES256';

interface StoredKey {
  kid: string;
  privateJwk: JWK;
  publicJwk: JWK;
}

/** The local signing key under VAR_DIR, created on first use (development only). */
export async function loadOrCreateLocalKey(
  varDir: string,
  clock: Clock = systemClock,
): Promise<{ kid: string; privateKey: KeyLike; publicKey: KeyLike }> {
  const file = join(varDir, 'dev-signing-key.json');
  if (!existsSync(file)) {
    const { privateKey, publicKey } = await generateKeyPair(ALG, { extractable: true });
    const stored: StoredKey = {
      kid: `local-${clock.now().getTime().toString(36)}`,
      privateJwk: await exportJWK(privateKey),
      publicJwk: await exportJWK(publicKey),
    };
    mkdirSync(varDir, { recursive: true });
    // Written beside and renamed, so a concurrent starter never reads half a key.
    const tmp = `${file}.${process.pid}.tmp`;
    writeFileSync(tmp, JSON.stringify(stored, null, 2), { mode: 0o600 });
    if (!existsSync(file)) renameSync(tmp, file);
  }
  const stored = JSON.parse(readFileSync(file, 'utf8')) as StoredKey;
  return {
    kid: stored.kid,
    privateKey: (await importJWK(stored.privateJwk, ALG)) as KeyLike,
    publicKey: (await importJWK(stored.publicJwk, ALG)) as KeyLike,
  };
}

export interface TokenClaims {
  sub: string;
  email: string;
  name?: string;
  roles: string[];
  /** The engine's client (OIDC_CLIENT_ID): the token is issued to it and the roles are its client roles. */
  clientId: string;
  ttlSeconds?: number;
}

/**
 * Signs a token shaped like a Keycloak access token with a local key: client roles under
 * resource_access.<client>, issued to (`azp`) that client, the email verified (the development sign-in
 * vouches for it), and every claim the verifier requires.
 */
export function signToken(
  key: { kid: string; privateKey: KeyLike },
  claims: TokenClaims,
  issuer = LOCAL_ISSUER,
  audience?: string,
): Promise<string> {
  const jwt = new SignJWT({
    typ: 'Bearer',
    azp: claims.clientId,
    email: claims.email,
    email_verified: true,
    name: claims.name,
    resource_access: { [claims.clientId]: { roles: claims.roles } },
  })
    .setProtectedHeader({ alg: ALG, kid: key.kid })
    .setSubject(claims.sub)
    .setIssuer(issuer)
    .setIssuedAt()
    .setExpirationTime(`${claims.ttlSeconds ?? 3600}s`);
  if (audience) jwt.setAudience(audience);
  return jwt.sign(key.privateKey);
}
