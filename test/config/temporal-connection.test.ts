/**
 * The Temporal connection variables: what they turn into for the SDKs, and what start-up refuses. The
 * handshakes themselves are in test/integration/temporal-tls.test.ts, against a real server.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, loadConfig } from '../../config/env';
import { describeTemporalConnection, temporalConnectionOptions } from '../../config/temporal-connection';
import { withoutTemporalTls } from '../../config/temporal-tls';
import { makeTestCa, type TestCa } from '../helpers/test-ca';

const root = join(__dirname, '..', '..');
const API_KEY = 'tmprl-test-key.0123456789abcdef';

/** The configuration outside production, so that only the Temporal variables decide. */
const configOf = (env: Record<string, string>) => loadConfig({ NODE_ENV: 'test', ...env });

function refusal(env: Record<string, string>): string {
  try {
    configOf(env);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as Error).message;
  }
  return 'accepted';
}

let dir: string;
let ca: TestCa;
let client: { certPath: string; keyPath: string };
let other: { certPath: string; keyPath: string };
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'temporal-connection-'));
  ca = makeTestCa(dir);
  client = ca.issue('engine', 'client');
  other = ca.issue('someone-else', 'client');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('Temporal connection options', () => {
  it('stays plaintext, as before, when no TLS variable is set', () => {
    expect(temporalConnectionOptions(configOf({ TEMPORAL_ADDRESS: 'temporal:7233' }))).toEqual({
      address: 'temporal:7233',
    });
  });

  it("passes TEMPORAL_API_KEY through as the SDK's apiKey, over TLS with the system's roots", () => {
    const options = temporalConnectionOptions(
      configOf({ TEMPORAL_ADDRESS: 'billing.a1b2c.tmprl.cloud:7233', TEMPORAL_API_KEY: API_KEY }),
    );
    expect(options).toEqual({ address: 'billing.a1b2c.tmprl.cloud:7233', tls: {}, apiKey: API_KEY });
  });

  it('turns every TLS variable into the TLSConfig both SDK connections take', () => {
    const options = temporalConnectionOptions(
      configOf({
        TEMPORAL_ADDRESS: '10.0.0.5:7233',
        TEMPORAL_TLS_SERVER_CA_CERT_PATH: ca.certPath,
        TEMPORAL_TLS_SERVER_NAME: 'temporal.internal',
        TEMPORAL_TLS_CLIENT_CERT_PATH: client.certPath,
        TEMPORAL_TLS_CLIENT_KEY_PATH: client.keyPath,
      }),
    );
    expect(options).toEqual({
      address: '10.0.0.5:7233',
      tls: {
        serverNameOverride: 'temporal.internal',
        serverRootCACertificate: readFileSync(ca.certPath),
        clientCertPair: { crt: readFileSync(client.certPath), key: readFileSync(client.keyPath) },
      },
    });
  });

  it('turns TLS on with TEMPORAL_TLS=true alone, and any TLS variable implies it', () => {
    expect(temporalConnectionOptions(configOf({ TEMPORAL_TLS: 'true' })).tls).toEqual({});
    expect(
      temporalConnectionOptions(configOf({ TEMPORAL_TLS_SERVER_NAME: 'temporal.internal' })).tls,
    ).toEqual({ serverNameOverride: 'temporal.internal' });
    expect(temporalConnectionOptions(configOf({ TEMPORAL_TLS: 'false' })).tls).toBeUndefined();
  });

  it('describes the connection for logs without the key, the certificates or their contents', () => {
    const options = temporalConnectionOptions(
      configOf({
        TEMPORAL_API_KEY: API_KEY,
        TEMPORAL_TLS_CLIENT_CERT_PATH: client.certPath,
        TEMPORAL_TLS_CLIENT_KEY_PATH: client.keyPath,
      }),
    );
    const logged = JSON.stringify(describeTemporalConnection(options));
    expect(JSON.parse(logged)).toEqual({
      address: '127.0.0.1:7233',
      tls: { ca: 'system roots', serverName: null, clientCertificate: true },
      apiKey: true,
    });
    expect(logged).not.toContain(API_KEY);
    expect(logged).not.toContain('PRIVATE KEY');
  });
});

describe('Temporal connection variables refused at start-up', () => {
  it('refuses TEMPORAL_API_KEY without TLS: a bearer key in plaintext', () => {
    const message = refusal({ TEMPORAL_TLS: 'false', TEMPORAL_API_KEY: API_KEY });
    expect(message).toMatch(/TEMPORAL_API_KEY: is refused with TEMPORAL_TLS=false/);
    expect(message).not.toContain(API_KEY);
  });

  it('refuses TLS files or a server name with TEMPORAL_TLS=false, rather than ignore them', () => {
    expect(refusal({ TEMPORAL_TLS: 'false', TEMPORAL_TLS_SERVER_CA_CERT_PATH: ca.certPath })).toMatch(
      /TEMPORAL_TLS_SERVER_CA_CERT_PATH: has no effect with TEMPORAL_TLS=false/,
    );
    expect(refusal({ TEMPORAL_TLS: 'false', TEMPORAL_TLS_SERVER_NAME: 'x' })).toMatch(
      /TEMPORAL_TLS_SERVER_NAME/,
    );
  });

  it('takes only true or false for TEMPORAL_TLS', () => {
    for (const value of ['yes', '1', 'TRUE', 'true ', 'off'])
      expect(refusal({ TEMPORAL_TLS: value })).toMatch(/TEMPORAL_TLS/);
  });

  it('refuses an API key with spaces, line breaks or control characters (it becomes a header)', () => {
    for (const key of [
      `${API_KEY}\n`,
      `${API_KEY}\r\nx-evil: 1`,
      'two words',
      'tab\tkey',
      'nul\0key',
      'ключ',
    ])
      expect(refusal({ TEMPORAL_API_KEY: key })).toMatch(/TEMPORAL_API_KEY: must be printable ASCII/);
  });

  it('refuses a client certificate without its key, and a key without its certificate', () => {
    expect(refusal({ TEMPORAL_TLS_CLIENT_CERT_PATH: client.certPath })).toMatch(
      /TEMPORAL_TLS_CLIENT_KEY_PATH: is required when TEMPORAL_TLS_CLIENT_CERT_PATH is set/,
    );
    expect(refusal({ TEMPORAL_TLS_CLIENT_KEY_PATH: client.keyPath })).toMatch(
      /TEMPORAL_TLS_CLIENT_CERT_PATH: is required when TEMPORAL_TLS_CLIENT_KEY_PATH is set/,
    );
  });

  it('names each file that cannot be read: missing, or a directory', () => {
    const folder = join(dir, 'a-folder');
    mkdirSync(folder, { recursive: true });
    expect(refusal({ TEMPORAL_TLS_SERVER_CA_CERT_PATH: join(dir, 'missing.pem') })).toMatch(
      /TEMPORAL_TLS_SERVER_CA_CERT_PATH: cannot be read \(ENOENT\)/,
    );
    expect(
      refusal({ TEMPORAL_TLS_CLIENT_CERT_PATH: folder, TEMPORAL_TLS_CLIENT_KEY_PATH: client.keyPath }),
    ).toMatch(/TEMPORAL_TLS_CLIENT_CERT_PATH: cannot be read \(EISDIR\)/);
  });

  it('refuses files that are not PEM of the right kind, without quoting them', () => {
    const der = join(dir, 'ca.der');
    spawnSync('openssl', ['x509', '-in', ca.certPath, '-outform', 'DER', '-out', der]);
    const garbled = join(dir, 'garbled.pem');
    writeFileSync(garbled, '-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydA==\n-----END CERTIFICATE-----\n');
    expect(refusal({ TEMPORAL_TLS_SERVER_CA_CERT_PATH: der })).toMatch(
      /TEMPORAL_TLS_SERVER_CA_CERT_PATH: is not a PEM certificate/,
    );
    expect(refusal({ TEMPORAL_TLS_SERVER_CA_CERT_PATH: garbled })).toMatch(
      /TEMPORAL_TLS_SERVER_CA_CERT_PATH: holds a PEM certificate that does not parse/,
    );
    // Certificate and key swapped, the way a hurried operator would.
    const swapped = refusal({
      TEMPORAL_TLS_CLIENT_CERT_PATH: client.keyPath,
      TEMPORAL_TLS_CLIENT_KEY_PATH: client.certPath,
    });
    expect(swapped).toMatch(/TEMPORAL_TLS_CLIENT_CERT_PATH: is not a PEM certificate/);
    expect(swapped).toMatch(/TEMPORAL_TLS_CLIENT_KEY_PATH: is not a PEM private key/);
    const keyBody = readFileSync(client.keyPath, 'utf8').split('\n')[1];
    expect(swapped).not.toContain(keyBody);
  });

  it('refuses an encrypted private key, which the SDKs cannot use', () => {
    const encrypted = join(dir, 'encrypted.key');
    spawnSync('openssl', [
      'pkcs8',
      '-topk8',
      '-in',
      client.keyPath,
      '-out',
      encrypted,
      '-passout',
      'pass:secret',
    ]);
    expect(readFileSync(encrypted, 'utf8')).toContain('BEGIN ENCRYPTED PRIVATE KEY');
    expect(
      refusal({ TEMPORAL_TLS_CLIENT_CERT_PATH: client.certPath, TEMPORAL_TLS_CLIENT_KEY_PATH: encrypted }),
    ).toMatch(
      /TEMPORAL_TLS_CLIENT_KEY_PATH: holds a private key that does not parse \(it must not be encrypted\)/,
    );
  });

  it("refuses a key that is not the client certificate's", () => {
    expect(
      refusal({
        TEMPORAL_TLS_CLIENT_CERT_PATH: client.certPath,
        TEMPORAL_TLS_CLIENT_KEY_PATH: other.keyPath,
      }),
    ).toMatch(
      /TEMPORAL_TLS_CLIENT_KEY_PATH: is not the key of the certificate in TEMPORAL_TLS_CLIENT_CERT_PATH/,
    );
  });

  it('stops the API at start-up naming the variable when a certificate file is missing', () => {
    const result = spawnSync(process.execPath, [require.resolve('tsx/cli'), 'api/main.ts'], {
      cwd: root,
      env: {
        PATH: process.env.PATH ?? '',
        HOME: process.env.HOME ?? '',
        LOG_LEVEL: 'silent',
        NODE_ENV: 'test',
        VAR_DIR: mkdtempSync(join(tmpdir(), 'billing-var-')),
        TEMPORAL_TLS_CLIENT_CERT_PATH: join(dir, 'missing.pem'),
        TEMPORAL_TLS_CLIENT_KEY_PATH: client.keyPath,
        TEMPORAL_API_KEY: API_KEY,
      },
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('TEMPORAL_TLS_CLIENT_CERT_PATH: cannot be read (ENOENT)');
    expect(result.stderr).not.toContain(API_KEY);
  });

  it("keeps the operator's TLS settings away from a child that talks to a plaintext Temporal of our own", () => {
    const env = withoutTemporalTls({
      PATH: '/bin',
      TEMPORAL_ADDRESS: 'x:1',
      TEMPORAL_TLS: 'true',
      TEMPORAL_TLS_SERVER_CA_CERT_PATH: 'a',
      TEMPORAL_TLS_SERVER_NAME: 'b',
      TEMPORAL_TLS_CLIENT_CERT_PATH: 'c',
      TEMPORAL_TLS_CLIENT_KEY_PATH: 'd',
      TEMPORAL_API_KEY: 'e',
    });
    expect(env).toEqual({ PATH: '/bin', TEMPORAL_ADDRESS: 'x:1' });
  });
});
