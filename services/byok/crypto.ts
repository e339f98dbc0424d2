import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import type { ByokKey, ByokKeyring } from '../../config/byok-key';

const NONCE_BYTES = 12;
const TAG_BYTES = 16;

/** Who a ciphertext belongs to: part of the associated data, so a row moved elsewhere fails to open. */
export interface KeyBinding {
  customerId: string;
  provider: string;
}

/** What is stored: base64 ciphertext with its GCM tag appended, base64 nonce, and the master key's version. */
export interface SealedKey {
  ciphertext: string;
  nonce: string;
  keyVersion: number;
}

/** A stored key that no key in the keyring opens: tampered, moved, or under a key no longer configured. */
export class UnreadableKeyError extends Error {
  constructor(reason: string) {
    super(`provider key cannot be decrypted: ${reason}`);
    this.name = 'UnreadableKeyError';
  }
}

function associatedData(binding: KeyBinding, keyVersion: number): Buffer {
  // NUL separators: ids and provider names never contain one, so no two bindings share a byte string.
  return Buffer.from(`billing-engine/byok/v1\0${binding.customerId}\0${binding.provider}\0${keyVersion}`);
}

/** Encrypts a provider key under the keyring's current key with a fresh random nonce (AES-256-GCM). */
export function sealProviderKey(keyring: ByokKeyring, binding: KeyBinding, plaintext: string): SealedKey {
  return sealWith(keyring.current, binding, plaintext);
}

export function sealWith(key: ByokKey, binding: KeyBinding, plaintext: string): SealedKey {
  const nonce = randomBytes(NONCE_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key.encryptionKey(), nonce, { authTagLength: TAG_BYTES });
  cipher.setAAD(associatedData(binding, key.version));
  const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final(), cipher.getAuthTag()]);
  return { ciphertext: body.toString('base64'), nonce: nonce.toString('base64'), keyVersion: key.version };
}

/** The keyring's key that sealed a row, chosen by the stored version. */
export function keyFor(keyring: ByokKeyring, keyVersion: number): ByokKey | null {
  if (keyring.current.version === keyVersion) return keyring.current;
  if (keyring.previous?.version === keyVersion) return keyring.previous;
  return null;
}

/** Decrypts a stored provider key; throws UnreadableKeyError (never the key material) when it cannot. */
export function openProviderKey(keyring: ByokKeyring, binding: KeyBinding, sealed: SealedKey): string {
  const key = keyFor(keyring, sealed.keyVersion);
  if (!key) throw new UnreadableKeyError('it was encrypted under a key that is not configured');
  const nonce = Buffer.from(sealed.nonce, 'base64');
  const body = Buffer.from(sealed.ciphertext, 'base64');
  if (nonce.length !== NONCE_BYTES || body.length < TAG_BYTES) throw new UnreadableKeyError('malformed');
  try {
    const decipher = createDecipheriv('aes-256-gcm', key.encryptionKey(), nonce, {
      authTagLength: TAG_BYTES,
    });
    decipher.setAAD(associatedData(binding, sealed.keyVersion));
    decipher.setAuthTag(body.subarray(body.length - TAG_BYTES));
    const plain = Buffer.concat([
      decipher.update(body.subarray(0, body.length - TAG_BYTES)),
      decipher.final(),
    ]);
    return plain.toString('utf8');
  } catch {
    throw new UnreadableKeyError('authentication failed');
  }
}
