import type { EntityManager } from '@mikro-orm/core';
import type { Clock } from '../../domain/clock';
import type { Logger } from 'pino';
import type { ProviderKey } from '../../db/entities';
import {
  BYOK_PROVIDERS,
  checkRequest,
  classifyCheckStatus,
  type ByokProviderId,
  type KeyTestResult,
} from '../../domain/byok-providers';
import { AppError } from '../../domain/errors';
import { openProviderKey, UnreadableKeyError } from './crypto';
import type { ByokRuntime } from './runtime';

export interface CheckOutcome {
  result: KeyTestResult;
  httpStatus: number | null;
  latencyMs: number;
  message: string;
}

function messageFor(result: KeyTestResult, httpStatus: number | null, timedOut: boolean, ms: number): string {
  const status = httpStatus === null ? '' : ` (HTTP ${httpStatus})`;
  switch (result) {
    case 'valid':
      return 'The provider accepted the key';
    case 'invalid_key':
      return `The provider rejected the key${status}`;
    case 'rate_limited':
      return 'The provider is rate limiting this key; try again later';
    case 'provider_unreachable':
      if (timedOut) return `The provider did not answer within ${ms} ms`;
      return httpStatus === null ? 'The provider could not be reached' : `The provider is failing${status}`;
    case 'provider_error':
      return `The provider gave an unexpected answer${status}; the key was not judged`;
  }
}

/**
 * Makes the provider's cheapest authenticated call with the key and classifies the answer. The response
 * body is never read (it may echo the key or carry the provider's internals), and redirects are not
 * followed so the key is never sent anywhere but the configured base URL.
 */
export async function checkKeyWithProvider(
  provider: ByokProviderId,
  apiKey: string,
  runtime: Pick<ByokRuntime, 'baseUrls' | 'testTimeoutMs'>,
): Promise<CheckOutcome> {
  const spec = BYOK_PROVIDERS[provider];
  const { url, headers } = checkRequest(spec, runtime.baseUrls[provider], apiKey);
  const started = performance.now();
  const elapsed = () => Math.round(performance.now() - started);
  try {
    const res = await fetch(url, {
      method: 'GET',
      headers,
      redirect: 'manual',
      signal: AbortSignal.timeout(runtime.testTimeoutMs),
    });
    await res.body?.cancel();
    const result = classifyCheckStatus(spec, res.status);
    return {
      result,
      httpStatus: res.status,
      latencyMs: elapsed(),
      message: messageFor(result, res.status, false, 0),
    };
  } catch (err) {
    const timedOut = (err as Error).name === 'TimeoutError';
    return {
      result: 'provider_unreachable',
      httpStatus: null,
      latencyMs: elapsed(),
      message: messageFor('provider_unreachable', null, timedOut, runtime.testTimeoutMs),
    };
  }
}

/** Decrypts a stored key, checks it with its provider, and records when and how the check went. */
export async function testStoredKey(
  em: EntityManager,
  row: ProviderKey,
  runtime: ByokRuntime,
  /** Read once the provider has answered: the test's time is when its outcome was known. */
  clock: Clock,
  log?: Logger,
): Promise<CheckOutcome & { testedAt: Date }> {
  let apiKey: string;
  try {
    apiKey = openProviderKey(runtime.keyring, { customerId: row.customer.id, provider: row.provider }, row);
  } catch (err) {
    if (!(err instanceof UnreadableKeyError)) throw err;
    log?.warn({ providerKeyId: row.id, provider: row.provider }, 'stored provider key cannot be decrypted');
    throw new AppError(
      'conflict',
      'provider_key_unreadable',
      'This key can no longer be read; add it again',
      {
        provider: row.provider,
      },
    );
  }
  const outcome = await checkKeyWithProvider(row.provider as ByokProviderId, apiKey, runtime);
  const testedAt = clock.now();
  row.lastTestedAt = testedAt;
  row.lastTestResult = outcome.result;
  await em.flush();
  log?.info(
    { provider: row.provider, result: outcome.result, httpStatus: outcome.httpStatus, ms: outcome.latencyMs },
    'provider key tested',
  );
  return { ...outcome, testedAt };
}
