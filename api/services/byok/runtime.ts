import type { ByokKeyring } from '../../../config/byok-key';
import { ConfigError } from '../../../config/env';
import {
  BYOK_PROVIDER_IDS,
  BYOK_PROVIDERS,
  baseUrlVariable,
  type ByokProviderId,
} from '../../../domain/byok-providers';
import { unavailable } from '../../../domain/errors';
import type { AppDeps } from '../../deps';

export const DEFAULT_KEY_TEST_TIMEOUT_MS = 5000;

/** What the BYOK routes need beyond the common deps: the keyring, where each provider is, how long to wait. */
export interface ByokRuntime {
  keyring: ByokKeyring;
  baseUrls: Record<ByokProviderId, string>;
  testTimeoutMs: number;
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

/**
 * Builds the BYOK settings from the environment: `BYOK_PROVIDER_BASE_URL_<PROVIDER>` points a provider's
 * check elsewhere (a gateway, a test server); `BYOK_TEST_TIMEOUT_MS` bounds a key test.
 */
export function createByokRuntime(keyring: ByokKeyring, env: Env): ByokRuntime {
  const baseUrls = Object.fromEntries(BYOK_PROVIDER_IDS.map((id) => [id, baseUrlFrom(env, id)])) as Record<
    ByokProviderId,
    string
  >;
  return { keyring, baseUrls, testTimeoutMs: timeoutFrom(env) };
}

/** The BYOK runtime from the app's deps; a clear 503 if the process was started without one. */
export function byokRuntime(deps: AppDeps): ByokRuntime {
  const runtime = (deps as AppDeps & { byok?: ByokRuntime }).byok;
  if (!runtime) throw unavailable('byok_not_configured', 'Provider keys are not configured on this server');
  return runtime;
}
