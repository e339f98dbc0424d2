import type { ByokKey, ByokKeyring } from '../../config/byok-key';
import {
  openSecret,
  sealSecret,
  UnreadableSecretError,
  type SealedSecret,
} from '../../integrations/crypto/sealed-secret';

/** Who a ciphertext belongs to: part of the associated data, so a row moved elsewhere fails to open. */
export interface KeyBinding {
  customerId: string;
  provider: string;
}

/** What is stored: base64 ciphertext with its GCM tag appended, base64 nonce, and the master key's version. */
export type SealedKey = SealedSecret;

/** A stored key that no key in the keyring opens: tampered, moved, or under a key no longer configured. */
export { UnreadableSecretError as UnreadableKeyError };

// NUL separators: ids and provider names never contain one, so no two bindings share a byte string.
const contextOf = (b: KeyBinding) => `billing-engine/byok/v1\0${b.customerId}\0${b.provider}`;

/** Encrypts a provider key under the keyring's current key with a fresh random nonce (AES-256-GCM). */
export function sealProviderKey(keyring: ByokKeyring, binding: KeyBinding, plaintext: string): SealedKey {
  return sealWith(keyring.current, binding, plaintext);
}

export function sealWith(key: ByokKey, binding: KeyBinding, plaintext: string): SealedKey {
  return sealSecret(key, contextOf(binding), plaintext);
}

/** Decrypts a stored provider key; throws UnreadableKeyError (never the key material) when it cannot. */
export function openProviderKey(keyring: ByokKeyring, binding: KeyBinding, sealed: SealedKey): string {
  return openSecret(keyring, contextOf(binding), sealed, 'provider key');
}
