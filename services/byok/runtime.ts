import type { ByokKeyring } from '../../config/byok-key';
import { ConfigError } from '../../config/env';
import {
  BYOK_PROVIDER_IDS,
  BYOK_PROVIDERS,
  baseUrlVariable,
  type ByokProviderId,
} from '../../domain/byok-providers';
import { unavailable } from '../../domain/errors';

export const DEFAULT_KEY_TEST_TIMEOUT_MS = 5000;
/**
 * A gateway serving every customer reads a key per customer call it cannot answer from its own short-lived
 * cache; 60 a minute per gateway identity (10 of one customer's) bounds what one leaked gateway token reads
 * to 3,600 keys an hour across all API processes, where 600 per process allowed 36,000 per process.
 */
export const DEFAULT_KEY_READS_PER_MINUTE_PER_GATEWAY = 60;
export const DEFAULT_KEY_READS_PER_MINUTE_PER_CUSTOMER = 10;

/** What the BYOK routes need beyond the common deps: the keyring, where each provider is, how long to wait. */
export interface ByokRuntime {
  keyring: ByokKeyring;
  baseUrls: Record<ByokProviderId, string>;
  testTimeoutMs: number;
  /**
   * How often a minute the gateway may read decrypted keys: per gateway identity, and per customer whose
   * key. The buckets are the database's (services/rate-limits), shared by every API process.
   */
  keyReads: { perGateway: number; perCustomer: number };
}

type Env = Record<string, string | undefined>;

function baseUrlFrom(env: Env, id: ByokProviderId): string {
  const name = baseUrlVariable(id);
  const value = env[name];
  if (value === undefined || value === '') return BYOK_PROVIDERS[id].defaultBaseUrl;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new ConfigError(`Invalid configuration:\n  ${name}: must be an http(s) URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new ConfigError(`Invalid configuration:\n  ${name}: must be an http(s) URL`);
  return value.replace(/\/+$/, '');
}

function timeoutFrom(env: Env): number {
  const value = env.BYOK_TEST_TIMEOUT_MS;
  if (value === undefined || value === '') return DEFAULT_KEY_TEST_TIMEOUT_MS;
  const ms = Number(value);
  if (!Number.isInteger(ms) || ms < 1 || ms > 60_000)
    throw new ConfigError(
      'Invalid configuration:\n  BYOK_TEST_TIMEOUT_MS: must be an integer from 1 to 60000',
    );
  return ms;
}

function perMinuteFrom(env: Env, name: string, fallback: number): number {
  const value = env[name];
  if (value === undefined || value === '') return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 1_000_000)
    throw new ConfigError(`Invalid configuration:\n  ${name}: must be an integer from 1 to 1000000`);
  return n;
}

/**
 * Builds the BYOK settings from the environment: `BYOK_PROVIDER_BASE_URL_<PROVIDER>` points a provider's
 * check elsewhere (a gateway, a test server); `BYOK_TEST_TIMEOUT_MS` bounds a key test;
 * `BYOK_KEY_READS_PER_MINUTE_PER_GATEWAY` and `…_PER_CUSTOMER` limit the gateway's key reads.
 */
export function createByokRuntime(keyring: ByokKeyring, env: Env): ByokRuntime {
  const baseUrls = Object.fromEntries(BYOK_PROVIDER_IDS.map((id) => [id, baseUrlFrom(env, id)])) as Record<
    ByokProviderId,
    string
  >;
  return {
    keyring,
    baseUrls,
    testTimeoutMs: timeoutFrom(env),
    keyReads: {
      perGateway: perMinuteFrom(
        env,
        'BYOK_KEY_READS_PER_MINUTE_PER_GATEWAY',
        DEFAULT_KEY_READS_PER_MINUTE_PER_GATEWAY,
      ),
      perCustomer: perMinuteFrom(
        env,
        'BYOK_KEY_READS_PER_MINUTE_PER_CUSTOMER',
        DEFAULT_KEY_READS_PER_MINUTE_PER_CUSTOMER,
      ),
    },
  };
}

/** The BYOK runtime from the app's deps; a clear 503 if the process was started without one. */
export function byokRuntime(deps: { byok?: ByokRuntime }): ByokRuntime {
  const runtime = deps.byok;
  if (!runtime) throw unavailable('byok_not_configured', 'Provider keys are not configured on this server');
  return runtime;
}
