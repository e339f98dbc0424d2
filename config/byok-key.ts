import { hkdfSync, randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError } from './env';

const KEY_BYTES = 32;
const LOCAL_KEY_FILE = 'byok-key';

/**
 * A master key for customers' provider keys. The secret stays in a private field so that logging or
 * serialising the object (a deps dump, an error) never writes it; only the version shows.
 */
export class ByokKey {
  readonly #encryptionKey: Buffer;
  /**
   * Identifies the key without revealing it (a positive 31-bit number, so any integer column holds it):
   * stored beside each ciphertext, so reads pick the right key and rotation skips rows already done.
   */
  readonly version: number;

  constructor(secret: Buffer) {
    if (secret.length !== KEY_BYTES) throw new Error(`a BYOK key is ${KEY_BYTES} bytes`);
    // Separate derivations keep the version (stored in the clear) independent of the cipher key.
    this.#encryptionKey = derive(secret, 'byok provider keys v1', KEY_BYTES);
    this.version = derive(secret, 'byok key version v1', 4).readUInt32BE(0) & 0x7fffffff || 1;
  }

  /** The AES-256-GCM key, derived so the master key itself is never used directly. */
  encryptionKey(): Buffer {
    return this.#encryptionKey;
  }

  toJSON(): { version: number } {
    return { version: this.version };
  }
}

/** The key new ciphertexts use, and during a rotation the one older rows may still be under. */
export interface ByokKeyring {
  current: ByokKey;
  previous: ByokKey | null;
}

export interface ByokKeyInput {
  BYOK_ENCRYPTION_KEY?: string;
  BYOK_ENCRYPTION_KEY_PREVIOUS?: string;
  NODE_ENV: string;
  VAR_DIR: string;
}

type WarnLog = { warn(obj: object, msg: string): void };

function derive(secret: Buffer, info: string, bytes: number): Buffer {
  return Buffer.from(hkdfSync('sha256', secret, Buffer.alloc(0), info, bytes));
}

/**
 * Accepts 32 bytes written as 64 hex characters or as base64 (standard or URL-safe, padding optional),
 * e.g. `openssl rand -base64 32` or `openssl rand -hex 32`. Returns null for anything else.
 */
export function parseByokKey(text: string): Buffer | null {
  const value = text.trim();
  if (/^[0-9a-fA-F]{64}$/.test(value)) return Buffer.from(value, 'hex');
  if (/^[A-Za-z0-9+/_-]{43}=?$/.test(value)) {
    const bytes = Buffer.from(value.replace(/-/g, '+').replace(/_/g, '/'), 'base64');
    if (bytes.length === KEY_BYTES) return bytes;
  }
  return null;
}

const FORMAT_HELP =
  'must be 32 bytes as 64 hex characters or base64 (make one with `openssl rand -base64 32`)';

function fromVariable(name: string, value: string | undefined): ByokKey | null {
  if (value === undefined || value.trim() === '') return null;
  const bytes = parseByokKey(value);
  if (!bytes) throw new ConfigError(`Invalid configuration:\n  ${name}: ${FORMAT_HELP}`);
  return new ByokKey(bytes);
}

// Two processes starting together must end with one key: the loser of the exclusive create reads the winner's.
function loadOrCreateLocalKey(varDir: string, log: WarnLog): ByokKey {
  const path = join(varDir, LOCAL_KEY_FILE);
  mkdirSync(varDir, { recursive: true });
  try {
    writeFileSync(path, `${randomBytes(KEY_BYTES).toString('base64')}\n`, { mode: 0o600, flag: 'wx' });
    log.warn(
      { file: path },
      'BYOK_ENCRYPTION_KEY is not set: generated a local key for development; set BYOK_ENCRYPTION_KEY in production',
    );
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    log.warn({ file: path }, 'BYOK_ENCRYPTION_KEY is not set: using the local development key');
  }
  const bytes = parseByokKey(readFileSync(path, 'utf8'));
  if (!bytes) throw new ConfigError(`BYOK_ENCRYPTION_KEY is not set and ${path} does not hold a valid key`);
  return new ByokKey(bytes);
}

/**
 * The keyring for customers' provider keys. Production needs BYOK_ENCRYPTION_KEY; elsewhere a missing key
 * is generated once under VAR_DIR (mode 0600). BYOK_ENCRYPTION_KEY_PREVIOUS is set only while rotating.
 */
export function loadByokKey(input: ByokKeyInput, log: WarnLog): ByokKeyring {
  const current = fromVariable('BYOK_ENCRYPTION_KEY', input.BYOK_ENCRYPTION_KEY);
  const previous = fromVariable('BYOK_ENCRYPTION_KEY_PREVIOUS', input.BYOK_ENCRYPTION_KEY_PREVIOUS);
  if (!current && input.NODE_ENV === 'production') {
    throw new ConfigError(
      `Invalid configuration:\n  BYOK_ENCRYPTION_KEY: is required when NODE_ENV=production (${FORMAT_HELP})`,
    );
  }
  const key = current ?? loadOrCreateLocalKey(input.VAR_DIR, log);
  return { current: key, previous: previous && previous.version !== key.version ? previous : null };
}
