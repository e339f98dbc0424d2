import type { TLSConfig } from '@temporalio/client';
import { ConfigError, type Config } from './env';
import { readPem, temporalTlsEnabled, type TemporalTlsSettings } from './temporal-tls';

/**
 * What both `Connection` (@temporalio/client) and `NativeConnection` (@temporalio/worker) take to reach
 * Temporal: their `tls` is the same TLSConfig, and the worker's apiKey is the client's without the
 * callback form, so one object serves the API, the worker and the tools alike.
 */
export interface TemporalConnectionOptions {
  address: string;
  /** Absent: plaintext. */
  tls?: TLSConfig;
  /** Sent by the SDK as `authorization: Bearer …` on every call. */
  apiKey?: string;
}

/**
 * The connection options the configuration asks for. The certificate files are read here, at start-up:
 * replacing them takes a restart, as it does for Temporal's own tools.
 */
export function temporalConnectionOptions(
  config: Pick<Config, 'TEMPORAL_ADDRESS'> & TemporalTlsSettings,
): TemporalConnectionOptions {
  if (!temporalTlsEnabled(config)) return { address: config.TEMPORAL_ADDRESS };
  const pem = (name: keyof TemporalTlsSettings, path: string, kind: 'certificate' | 'private key') => {
    const read = readPem(path, kind);
    if (!read.ok) throw new ConfigError(`Invalid configuration:\n  ${name}: ${read.problem}`);
    return read.pem;
  };
  const tls: TLSConfig = {};
  if (config.TEMPORAL_TLS_SERVER_NAME) tls.serverNameOverride = config.TEMPORAL_TLS_SERVER_NAME;
  if (config.TEMPORAL_TLS_SERVER_CA_CERT_PATH)
    tls.serverRootCACertificate = pem(
      'TEMPORAL_TLS_SERVER_CA_CERT_PATH',
      config.TEMPORAL_TLS_SERVER_CA_CERT_PATH,
      'certificate',
    );
  if (config.TEMPORAL_TLS_CLIENT_CERT_PATH && config.TEMPORAL_TLS_CLIENT_KEY_PATH) {
    tls.clientCertPair = {
      crt: pem('TEMPORAL_TLS_CLIENT_CERT_PATH', config.TEMPORAL_TLS_CLIENT_CERT_PATH, 'certificate'),
      key: pem('TEMPORAL_TLS_CLIENT_KEY_PATH', config.TEMPORAL_TLS_CLIENT_KEY_PATH, 'private key'),
    };
  }
  return {
    address: config.TEMPORAL_ADDRESS,
    tls,
    ...(config.TEMPORAL_API_KEY ? { apiKey: config.TEMPORAL_API_KEY } : {}),
  };
}

/** How the engine reaches Temporal, for logs: never a key, a certificate or a path's contents. */
export function describeTemporalConnection(options: TemporalConnectionOptions): Record<string, unknown> {
  return {
    address: options.address,
    tls: options.tls
      ? {
          ca: options.tls.serverRootCACertificate ? 'file' : 'system roots',
          serverName: options.tls.serverNameOverride ?? null,
          clientCertificate: Boolean(options.tls.clientCertPair),
        }
      : false,
    apiKey: Boolean(options.apiKey),
  };
}
