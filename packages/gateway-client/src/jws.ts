import { createPublicKey, verify, type KeyObject } from 'node:crypto';

/** Who signs entitlement snapshots: the engine (its `iss`). */
export const SNAPSHOT_ISSUER = 'billing-engine/entitlements';
const SNAPSHOT_TYPE = 'entitlements+jwt';

/** One public key of the engine's `jwks.json`. */
export interface Jwk {
  kty: string;
  crv?: string;
  x?: string;
  kid?: string;
  [k: string]: unknown;
}

/** Why a snapshot was refused: a gateway never decides from one that fails any of these. */
export class SnapshotRejected extends Error {
  constructor(
    readonly reason:
      | 'malformed'
      | 'unknown_key'
      | 'bad_signature'
      | 'wrong_algorithm'
      | 'wrong_type'
      | 'wrong_issuer'
      | 'expired',
    message: string,
  ) {
    super(message);
    this.name = 'SnapshotRejected';
  }
}

export interface VerifiedSnapshot {
  /** The engine's customer id (`sub`). */
  customerId: string;
  issuedAtMs: number;
  expiresAtMs: number;
  claims: Record<string, unknown>;
}

const decodePart = (part: string, what: string): Record<string, unknown> => {
  try {
    const value: unknown = JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
    if (value && typeof value === 'object' && !Array.isArray(value)) return value as Record<string, unknown>;
  } catch {
    // Falls through to the refusal below: a part that is not base64url JSON is as malformed as a non-object.
  }
  throw new SnapshotRejected('malformed', `the snapshot's ${what} is not a JSON object`);
};

/** The Ed25519 public keys of a JWKS, by key id; keys of other types are left out. */
export function keysOf(jwks: { keys?: unknown }): Map<string, KeyObject> {
  const out = new Map<string, KeyObject>();
  for (const jwk of Array.isArray(jwks.keys) ? (jwks.keys as Jwk[]) : []) {
    if (
      jwk?.kty !== 'OKP' ||
      jwk.crv !== 'Ed25519' ||
      typeof jwk.x !== 'string' ||
      typeof jwk.kid !== 'string'
    )
      continue;
    out.set(jwk.kid, createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: jwk.x }, format: 'jwk' }));
  }
  return out;
}

/** The key id a compact JWS names, read before verifying (to pick the key, or to refetch the JWKS). */
export function keyIdOf(token: string): string | null {
  const header = decodePart(token.split('.')[0] ?? '', 'header');
  return typeof header.kid === 'string' ? header.kid : null;
}

/**
 * Checks an entitlement snapshot as the engine signs it: a compact JWS, `alg` EdDSA over Ed25519, `typ`
 * entitlements+jwt, from the engine's issuer, not expired at `nowMs`, signed by a key of `keys`. Only the
 * algorithm the engine uses is accepted, whatever the header asks for.
 */
export function verifySnapshot(token: string, keys: Map<string, KeyObject>, nowMs: number): VerifiedSnapshot {
  const parts = token.split('.');
  if (parts.length !== 3 || parts.some((p) => !/^[A-Za-z0-9_-]*$/.test(p)))
    throw new SnapshotRejected('malformed', 'a snapshot is a compact JWS of three base64url parts');
  const [head, body, signature] = parts as [string, string, string];
  const header = decodePart(head, 'header');
  if (header.alg !== 'EdDSA')
    throw new SnapshotRejected('wrong_algorithm', 'a snapshot is signed with EdDSA');
  if (header.typ !== SNAPSHOT_TYPE)
    throw new SnapshotRejected('wrong_type', `a snapshot's typ is ${SNAPSHOT_TYPE}`);
  const key = typeof header.kid === 'string' ? keys.get(header.kid) : undefined;
  if (!key) throw new SnapshotRejected('unknown_key', `no key ${String(header.kid)} in the engine's JWKS`);
  const signed = Buffer.from(`${head}.${body}`, 'ascii');
  if (!verify(null, signed, key, Buffer.from(signature, 'base64url')))
    throw new SnapshotRejected('bad_signature', "the snapshot's signature does not check");
  const claims = decodePart(body, 'payload');
  if (claims.iss !== SNAPSHOT_ISSUER)
    throw new SnapshotRejected('wrong_issuer', `a snapshot's iss is ${SNAPSHOT_ISSUER}`);
  const { sub, iat, exp } = claims;
  if (typeof sub !== 'string' || typeof iat !== 'number' || typeof exp !== 'number')
    throw new SnapshotRejected('malformed', 'a snapshot carries sub, iat and exp');
  if (exp * 1000 <= nowMs) throw new SnapshotRejected('expired', 'the snapshot has expired');
  return { customerId: sub, issuedAtMs: iat * 1000, expiresAtMs: exp * 1000, claims };
}
