import { createPrivateKey, createPublicKey, hkdfSync, type KeyObject } from 'node:crypto';
import { exportJWK, SignJWT, type JWK } from 'jose';
import type { ByokKeyring } from '../../config/byok-key';

/** Who signs snapshots: the `iss` a gateway checks. */
export const SNAPSHOT_ISSUER = 'billing-engine/entitlements';

// PKCS#8 wrapping of a raw Ed25519 seed (RFC 8410): Node imports private keys as DER, not bare seeds.
const ED25519_PKCS8_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');

/**
 * Signs the entitlement snapshots the gateway caches, with an Ed25519 key derived from the master key
 * (so no other secret is configured, and every API process signs with the same key). Anyone may check a
 * snapshot with the public key (`GET /api/v1/entitlements/jwks.json`); nobody without the master key can
 * make one, the gateway included.
 */
export class SnapshotSigner {
  readonly #privateKey: KeyObject;
  readonly kid: string;
  readonly #jwk: Promise<JWK>;

  constructor(keyring: ByokKeyring) {
    const seed = Buffer.from(
      hkdfSync('sha256', keyring.current.encryptionKey(), Buffer.alloc(0), 'entitlement snapshots v1', 32),
    );
    this.#privateKey = createPrivateKey({
      key: Buffer.concat([ED25519_PKCS8_PREFIX, seed]),
      format: 'der',
      type: 'pkcs8',
    });
    this.kid = `ent-${keyring.current.version}`;
    this.#jwk = exportJWK(createPublicKey(this.#privateKey)).then((jwk) => ({
      ...jwk,
      kid: this.kid,
      alg: 'EdDSA',
      use: 'sig',
    }));
  }

  /** The public key set a gateway verifies snapshots with. */
  async jwks(): Promise<{ keys: JWK[] }> {
    return { keys: [await this.#jwk] };
  }

  /** A compact JWS (EdDSA) of `claims` about `subject`, valid for `ttlSeconds` from `now`. */
  sign(subject: string, claims: Record<string, unknown>, now: Date, ttlSeconds: number): Promise<string> {
    const iat = Math.floor(now.getTime() / 1000);
    return new SignJWT(claims)
      .setProtectedHeader({ alg: 'EdDSA', kid: this.kid, typ: 'entitlements+jwt' })
      .setIssuer(SNAPSHOT_ISSUER)
      .setSubject(subject)
      .setIssuedAt(iat)
      .setExpirationTime(iat + ttlSeconds)
      .sign(this.#privateKey);
  }

  toJSON(): { kid: string } {
    return { kid: this.kid };
  }
}
