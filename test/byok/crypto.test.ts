import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { openProviderKey, sealProviderKey, UnreadableKeyError } from '../../services/byok/crypto';
import { ByokKey, loadByokKey, parseByokKey } from '../../config/byok-key';
import { ConfigError } from '../../config/env';
import { testKeyring } from '../helpers/byok-app';

const apiKey = 'sk-proj-abcdefghijklmnopqrstuvwxyz0123456789';
const alice = { customerId: 'cust_alice', provider: 'openai' };

function flipByte(b64: string, index: number): string {
  const bytes = Buffer.from(b64, 'base64');
  bytes[index] = (bytes[index] ?? 0) ^ 0x01;
  return bytes.toString('base64');
}

describe('provider key encryption', () => {
  it('opens what it sealed, and never stores the key in the clear', () => {
    const keyring = testKeyring();
    const sealed = sealProviderKey(keyring, alice, apiKey);
    expect(sealed.ciphertext).not.toContain(apiKey);
    expect(Buffer.from(sealed.ciphertext, 'base64').toString('latin1')).not.toContain('abcdefghij');
    expect(Buffer.from(sealed.nonce, 'base64')).toHaveLength(12);
    expect(sealed.keyVersion).toBe(keyring.current.version);
    expect(openProviderKey(keyring, alice, sealed)).toBe(apiKey);
  });

  it('uses a fresh nonce each time, so the same key seals differently', () => {
    const keyring = testKeyring();
    const a = sealProviderKey(keyring, alice, apiKey);
    const b = sealProviderKey(keyring, alice, apiKey);
    expect(a.nonce).not.toBe(b.nonce);
    expect(a.ciphertext).not.toBe(b.ciphertext);
  });

  it('refuses a ciphertext with one changed byte, in the body or in the tag', () => {
    const keyring = testKeyring();
    const sealed = sealProviderKey(keyring, alice, apiKey);
    const bodyLength = Buffer.from(sealed.ciphertext, 'base64').length;
    for (const index of [0, bodyLength - 1]) {
      const tampered = { ...sealed, ciphertext: flipByte(sealed.ciphertext, index) };
      expect(() => openProviderKey(keyring, alice, tampered)).toThrow(UnreadableKeyError);
    }
    expect(() => openProviderKey(keyring, alice, { ...sealed, nonce: flipByte(sealed.nonce, 0) })).toThrow(
      UnreadableKeyError,
    );
  });

  it('refuses a ciphertext moved to another customer', () => {
    const keyring = testKeyring();
    const sealed = sealProviderKey(keyring, alice, apiKey);
    expect(() => openProviderKey(keyring, { ...alice, customerId: 'cust_bob' }, sealed)).toThrow(
      UnreadableKeyError,
    );
  });

  it('refuses a ciphertext moved to another provider', () => {
    const keyring = testKeyring();
    const sealed = sealProviderKey(keyring, alice, apiKey);
    expect(() => openProviderKey(keyring, { ...alice, provider: 'groq' }, sealed)).toThrow(
      UnreadableKeyError,
    );
  });

  it('refuses a ciphertext under a master key that is not configured', () => {
    const sealed = sealProviderKey(testKeyring(), alice, apiKey);
    expect(() => openProviderKey(testKeyring(), alice, sealed)).toThrow(/not configured/);
  });

  it('opens rows under the previous key while a rotation is under way', () => {
    const old = testKeyring();
    const sealed = sealProviderKey(old, alice, apiKey);
    const rotating = { current: testKeyring().current, previous: old.current };
    expect(openProviderKey(rotating, alice, sealed)).toBe(apiKey);
  });

  it('does not reveal the master key when the key object is logged or serialised', () => {
    const raw = randomBytes(32);
    const key = new ByokKey(raw);
    const shown = JSON.stringify({ key }) + inspect(key, { showHidden: true, depth: 5 });
    expect(shown).not.toContain(raw.toString('hex'));
    expect(shown).not.toContain(raw.toString('base64'));
    expect(JSON.parse(JSON.stringify(key))).toEqual({ version: key.version });
  });
});

describe('loading the BYOK master key', () => {
  const quiet = { warn: jest.fn() };
  const raw = randomBytes(32);
  const dirs: string[] = [];
  const varDir = () => {
    const dir = mkdtempSync(join(tmpdir(), 'byok-key-'));
    dirs.push(dir);
    return dir;
  };
  afterAll(() => {
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  it('accepts the same 32 bytes as hex, base64 and URL-safe base64', () => {
    for (const text of [
      raw.toString('hex'),
      raw.toString('base64'),
      raw.toString('base64url'),
      ` ${raw.toString('base64')}\n`,
    ]) {
      expect(parseByokKey(text)).toEqual(raw);
    }
    const fromHex = loadByokKey(
      { BYOK_ENCRYPTION_KEY: raw.toString('hex'), NODE_ENV: 'production', VAR_DIR: '' },
      quiet,
    );
    const fromB64 = loadByokKey(
      { BYOK_ENCRYPTION_KEY: raw.toString('base64'), NODE_ENV: 'production', VAR_DIR: '' },
      quiet,
    );
    expect(fromHex.current.version).toBe(fromB64.current.version);
  });

  it('stops start-up in production without BYOK_ENCRYPTION_KEY, naming it', () => {
    expect(() => loadByokKey({ NODE_ENV: 'production', VAR_DIR: varDir() }, quiet)).toThrow(ConfigError);
    expect(() => loadByokKey({ NODE_ENV: 'production', VAR_DIR: varDir() }, quiet)).toThrow(
      /BYOK_ENCRYPTION_KEY: is required when NODE_ENV=production/,
    );
  });

  it('stops start-up on a malformed key in any environment, naming the variable but not echoing it', () => {
    for (const NODE_ENV of ['production', 'development']) {
      const attempt = () =>
        loadByokKey({ BYOK_ENCRYPTION_KEY: 'hunter2-not-a-key', NODE_ENV, VAR_DIR: varDir() }, quiet);
      expect(attempt).toThrow(ConfigError);
      expect(attempt).toThrow(/BYOK_ENCRYPTION_KEY: must be 32 bytes/);
      expect(attempt).not.toThrow(/hunter2/);
    }
    const short = randomBytes(16).toString('base64');
    expect(() =>
      loadByokKey(
        {
          BYOK_ENCRYPTION_KEY: raw.toString('hex'),
          BYOK_ENCRYPTION_KEY_PREVIOUS: short,
          NODE_ENV: 'test',
          VAR_DIR: '',
        },
        quiet,
      ),
    ).toThrow(/BYOK_ENCRYPTION_KEY_PREVIOUS: must be 32 bytes/);
  });

  it('generates a private local key once in development, with a warning, and reuses it', () => {
    const dir = varDir();
    const log = { warn: jest.fn() };
    const first = loadByokKey({ NODE_ENV: 'development', VAR_DIR: dir }, log);
    const file = join(dir, 'byok-key');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(parseByokKey(readFileSync(file, 'utf8'))).not.toBeNull();
    expect(log.warn).toHaveBeenCalledWith(
      expect.anything(),
      expect.stringMatching(/BYOK_ENCRYPTION_KEY is not set/),
    );
    const second = loadByokKey({ NODE_ENV: 'test', VAR_DIR: dir }, log);
    expect(second.current.version).toBe(first.current.version);
  });

  it('keeps the previous key only while it differs from the current one', () => {
    const other = randomBytes(32).toString('hex');
    const both = loadByokKey(
      {
        BYOK_ENCRYPTION_KEY: raw.toString('hex'),
        BYOK_ENCRYPTION_KEY_PREVIOUS: other,
        NODE_ENV: 'test',
        VAR_DIR: '',
      },
      quiet,
    );
    expect(both.previous?.version).not.toBe(both.current.version);
    const same = loadByokKey(
      {
        BYOK_ENCRYPTION_KEY: raw.toString('hex'),
        BYOK_ENCRYPTION_KEY_PREVIOUS: raw.toString('base64'),
        NODE_ENV: 'test',
        VAR_DIR: '',
      },
      quiet,
    );
    expect(same.previous).toBeNull();
  });
});
