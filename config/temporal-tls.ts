import { createPrivateKey, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';

/** The variables that decide how the engine reaches Temporal (config/env.ts parses them). */
export interface TemporalTlsSettings {
  TEMPORAL_TLS?: boolean;
  TEMPORAL_TLS_SERVER_CA_CERT_PATH?: string;
  TEMPORAL_TLS_SERVER_NAME?: string;
  TEMPORAL_TLS_CLIENT_CERT_PATH?: string;
  TEMPORAL_TLS_CLIENT_KEY_PATH?: string;
  TEMPORAL_API_KEY?: string;
}

type TlsVariable = Exclude<keyof TemporalTlsSettings, 'TEMPORAL_TLS'>;

const IMPLY_TLS: readonly TlsVariable[] = [
  'TEMPORAL_TLS_SERVER_CA_CERT_PATH',
  'TEMPORAL_TLS_SERVER_NAME',
  'TEMPORAL_TLS_CLIENT_CERT_PATH',
  'TEMPORAL_TLS_CLIENT_KEY_PATH',
  'TEMPORAL_API_KEY',
];

/**
 * A child process's environment when the parent started a plaintext Temporal of its own on loopback (the
 * dev server of `npm run dev`, a benchmark's): the operator's TLS settings, meant for their cluster, would
 * only make the child fail its handshake (or send their API key where it does not belong).
 */
export function withoutTemporalTls(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const out = { ...env };
  for (const name of ['TEMPORAL_TLS', ...IMPLY_TLS]) delete out[name];
  return out;
}

/** TLS as configured: TEMPORAL_TLS when set, otherwise on as soon as anything only TLS can use is set. */
export function temporalTlsEnabled(s: TemporalTlsSettings): boolean {
  return s.TEMPORAL_TLS ?? IMPLY_TLS.some((name) => s[name] !== undefined);
}

export type PemRead = { ok: true; pem: Buffer } | { ok: false; problem: string };

/**
 * Reads a PEM file and makes sure it parses as what it should be, so a wrong path or a swapped
 * certificate and key stop start-up with the variable's name instead of failing later in a handshake.
 * The problem never quotes the file: it may hold a private key.
 */
export function readPem(path: string, kind: 'certificate' | 'private key'): PemRead {
  let pem: Buffer;
  try {
    pem = readFileSync(path);
  } catch (err) {
    return { ok: false, problem: `cannot be read (${(err as NodeJS.ErrnoException).code ?? 'error'})` };
  }
  if (kind === 'certificate') {
    if (!pem.includes('-----BEGIN CERTIFICATE-----'))
      return { ok: false, problem: 'is not a PEM certificate (no -----BEGIN CERTIFICATE-----)' };
    try {
      new X509Certificate(pem);
    } catch {
      return { ok: false, problem: 'holds a PEM certificate that does not parse' };
    }
    return { ok: true, pem };
  }
  if (!/-----BEGIN (RSA |EC |ENCRYPTED )?PRIVATE KEY-----/.test(pem.toString('latin1')))
    return { ok: false, problem: 'is not a PEM private key (no -----BEGIN PRIVATE KEY-----)' };
  try {
    createPrivateKey(pem);
  } catch {
    // The SDKs take no passphrase, so an encrypted key could never be used.
    return { ok: false, problem: 'holds a private key that does not parse (it must not be encrypted)' };
  }
  return { ok: true, pem };
}

function isKeyOf(cert: Buffer, key: Buffer): boolean {
  try {
    return new X509Certificate(cert).checkPrivateKey(createPrivateKey(key));
  } catch {
    return false;
  }
}

/** Everything wrong with the Temporal connection variables, each naming its variable. */
export function temporalTlsIssues(s: TemporalTlsSettings): { path: [TlsVariable]; message: string }[] {
  const issues: { path: [TlsVariable]; message: string }[] = [];
  const add = (name: TlsVariable, message: string) => issues.push({ path: [name], message });
  if (s.TEMPORAL_TLS === false) {
    for (const name of IMPLY_TLS) {
      if (s[name] === undefined) continue;
      add(
        name,
        name === 'TEMPORAL_API_KEY'
          ? 'is refused with TEMPORAL_TLS=false: the key would cross the network in plaintext'
          : 'has no effect with TEMPORAL_TLS=false (unset one of them)',
      );
    }
    return issues;
  }
  // A key that carries a line break (`$(cat key)` with a stray newline) or a space is not a header value.
  if (s.TEMPORAL_API_KEY !== undefined && !/^[\x21-\x7e]+$/.test(s.TEMPORAL_API_KEY))
    add('TEMPORAL_API_KEY', 'must be printable ASCII without spaces or line breaks');
  const cert = s.TEMPORAL_TLS_CLIENT_CERT_PATH;
  const key = s.TEMPORAL_TLS_CLIENT_KEY_PATH;
  if ((cert === undefined) !== (key === undefined)) {
    add(
      cert === undefined ? 'TEMPORAL_TLS_CLIENT_CERT_PATH' : 'TEMPORAL_TLS_CLIENT_KEY_PATH',
      `is required when ${cert === undefined ? 'TEMPORAL_TLS_CLIENT_KEY_PATH' : 'TEMPORAL_TLS_CLIENT_CERT_PATH'} is set (mTLS needs the certificate and its key)`,
    );
  }
  const read = (name: TlsVariable, kind: 'certificate' | 'private key'): Buffer | null => {
    const path = s[name];
    if (path === undefined) return null;
    const result = readPem(path, kind);
    if (!result.ok) add(name, result.problem);
    return result.ok ? result.pem : null;
  };
  read('TEMPORAL_TLS_SERVER_CA_CERT_PATH', 'certificate');
  const certPem = read('TEMPORAL_TLS_CLIENT_CERT_PATH', 'certificate');
  const keyPem = read('TEMPORAL_TLS_CLIENT_KEY_PATH', 'private key');
  if (certPem && keyPem && !isKeyOf(certPem, keyPem))
    add('TEMPORAL_TLS_CLIENT_KEY_PATH', 'is not the key of the certificate in TEMPORAL_TLS_CLIENT_CERT_PATH');
  return issues;
}
