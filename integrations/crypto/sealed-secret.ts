import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import type { ByokKey, ByokKeyring } from '../../config/byok-key';

const NONCE_BYTES = 12;
const TAG_BYTES = 16;

/** What is stored: base64 ciphertext with its GCM tag appended, base64 nonce, and the master key's version. */
export interface SealedSecret {
  ciphertext: string;
  nonce: string;
  keyVersion: number;
}

/** A stored secret that no key in the keyring opens: tampered, moved, or under a key no longer configured. */
export class UnreadableSecretError extends Error {
  constructor(what: string, reason: string) {
    super(`${what} cannot be decrypted: ${reason}`);
    this.name = 'UnreadableSecretError';
  }
}

// The context names the secret's owner, so a ciphertext copied to another row fails to open; the version
// follows it after a NUL, which no context contains.
const associatedData = (context: string, keyVersion: number) => Buffer.from(`${context}\0${keyVersion}`);

/**
 * Encrypts a secret under a master key (AES-256-GCM, a fresh random nonce), bound to `context`: the
 * customers' provider keys and the webhook endpoints' signing secrets share the keyring, never a context.
 */
export function sealSecret(key: ByokKey, context: string, plaintext: string): SealedSecret {
  const nonce = randomBytes(NONCE_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key.encryptionKey(), nonce, { authTagLength: TAG_BYTES });
  cipher.setAAD(associatedData(context, key.version));
  const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final(), cipher.getAuthTag()]);
  return { ciphertext: body.toString('base64'), nonce: nonce.toString('base64'), keyVersion: key.version };
}

/** The keyring's key that sealed a row, chosen by the stored version. */
export function keyFor(keyring: ByokKeyring, keyVersion: number): ByokKey | null {
  if (keyring.current.version === keyVersion) return keyring.current;
  if (keyring.previous?.version === keyVersion) return keyring.previous;
  return null;
}

/** Decrypts a sealed secret; throws UnreadableSecretError (never the secret) when it cannot. */
export function openSecret(
  keyring: ByokKeyring,
  context: string,
  sealed: SealedSecret,
  what = 'secret',
): string {
  const key = keyFor(keyring, sealed.keyVersion);
  if (!key) throw new UnreadableSecretError(what, 'it was encrypted under a key that is not configured');
  const nonce = Buffer.from(sealed.nonce, 'base64');
  const body = Buffer.from(sealed.ciphertext, 'base64');
  if (nonce.length !== NONCE_BYTES || body.length < TAG_BYTES)
    throw new UnreadableSecretError(what, 'malformed');
  try {
    const decipher = createDecipheriv('aes-256-gcm', key.encryptionKey(), nonce, {
      authTagLength: TAG_BYTES,
    });
    decipher.setAAD(associatedData(context, sealed.keyVersion));
    decipher.setAuthTag(body.subarray(body.length - TAG_BYTES));
    return Buffer.concat([
      decipher.update(body.subarray(0, body.length - TAG_BYTES)),
      decipher.final(),
    ]).toString('utf8');
  } catch {
    throw new UnreadableSecretError(what, 'authentication failed');
  }
}
