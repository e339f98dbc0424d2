import type { ByokKeyring } from '../../config/byok-key';
import { ConfigError } from '../../config/env';
import {
  BYOK_PROVIDER_IDS,
  BYOK_PROVIDERS,
  baseUrlVariable,
  type ByokProviderId,
} from '../../domain/byok-providers';
import { unavailable } from '../../domain/errors';
import { TokenBuckets } from './rate-limit';

export const DEFAULT_KEY_TEST_TIMEOUT_MS = 5000;
export const DEFAULT_KEY_READS_PER_MINUTE_PER_GATEWAY = 600;
export const DEFAULT_KEY_READS_PER_MINUTE_PER_CUSTOMER = 60;

/** What the BYOK routes need beyond the common deps: the keyring, where each provider is, how long to wait. */
export interface ByokRuntime {
  keyring: ByokKeyring;
  baseUrls: Record<ByokProviderId, string>;
  testTimeoutMs: number;
  /** How often the gateway may read decrypted keys: per gateway identity, and per customer whose key. */
  keyReads: { perGateway: TokenBuckets; perCustomer: TokenBuckets };
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
      perGateway: new TokenBuckets(
        perMinuteFrom(env, 'BYOK_KEY_READS_PER_MINUTE_PER_GATEWAY', DEFAULT_KEY_READS_PER_MINUTE_PER_GATEWAY),
      ),
      perCustomer: new TokenBuckets(
        perMinuteFrom(
          env,
          'BYOK_KEY_READS_PER_MINUTE_PER_CUSTOMER',
          DEFAULT_KEY_READS_PER_MINUTE_PER_CUSTOMER,
        ),
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
