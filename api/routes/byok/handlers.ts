import { BYOK_PROVIDER_IDS, BYOK_PROVIDERS, type ByokProviderId } from '../../../domain/byok-providers';
import type { HandlerInput } from '../../routing/define-route';
import { clockOf } from '../../../domain/clock';
import { findCustomerFor } from '../../../services/customers/find-customer';
import { findOrCreateCustomer } from '../../../services/byok/customer';
import { testStoredKey } from '../../../services/byok/test-key';
import {
  deleteProviderKey,
  findProviderKey,
  listProviderKeys,
  storeProviderKey,
} from '../../../services/byok/provider-keys';
import { byokRuntime } from '../../../services/byok/runtime';
import { byokStats } from '../../../services/byok/key-stats';
import { readKeyForGateway } from '../../../services/byok/read-key-for-gateway';
import { byokStatsDto, providerKeyDto } from './dto';
import type { addKeyBody, gatewayKeyQuery, providerParams } from './schemas';

type Viewer<P = undefined, B = undefined> = HandlerInput<P, undefined, B, 'viewer'>;

/** Every supported provider, and whether the caller has a key stored for it. */
export async function listProviders({ deps, identity }: Viewer) {
  const em = deps.orm.em.fork();
  const customer = await findCustomerFor(em, identity);
  const stored = new Set(customer ? (await listProviderKeys(em, customer)).map((k) => k.provider) : []);
  return BYOK_PROVIDER_IDS.map((id) => ({
    id,
    name: BYOK_PROVIDERS[id].name,
    key_format: BYOK_PROVIDERS[id].keyFormat,
    docs_url: BYOK_PROVIDERS[id].docsUrl,
    configured: stored.has(id),
  }));
}

export async function listKeys({ deps, identity }: Viewer) {
  const em = deps.orm.em.fork();
  const customer = await findCustomerFor(em, identity);
  return customer ? (await listProviderKeys(em, customer)).map(providerKeyDto) : [];
}

export async function addKey({ deps, identity, body, ctx }: Viewer<undefined, typeof addKeyBody>) {
  const runtime = byokRuntime(deps);
  const em = deps.orm.em.fork();
  const customer = await findOrCreateCustomer(em, identity);
  const { row, replaced } = await storeProviderKey(em, {
    identity,
    customer,
    provider: body.provider,
    apiKey: body.api_key,
    keyring: runtime.keyring,
    now: clockOf(deps).now(),
  });
  ctx.state.log?.info({ provider: body.provider, replaced }, 'provider key stored');
  return { ...providerKeyDto(row), replaced };
}

export async function removeKey({ deps, identity, params, ctx }: Viewer<typeof providerParams>) {
  const em = deps.orm.em.fork();
  const customer = await findCustomerFor(em, identity);
  await deleteProviderKey(em, identity, customer, params.provider);
  ctx.state.log?.info({ provider: params.provider }, 'provider key deleted');
  return { provider: params.provider, deleted: true };
}

export async function testKey({ deps, identity, params, ctx }: Viewer<typeof providerParams>) {
  const runtime = byokRuntime(deps);
  const em = deps.orm.em.fork();
  const row = await findProviderKey(em, await findCustomerFor(em, identity), params.provider);
  const outcome = await testStoredKey(em, row, runtime, clockOf(deps), ctx.state.log);
  return {
    provider: row.provider as ByokProviderId,
    result: outcome.result,
    valid: outcome.result === 'valid',
    message: outcome.message,
    http_status: outcome.httpStatus,
    latency_ms: outcome.latencyMs,
    tested_at: outcome.testedAt.toISOString(),
  };
}

export async function getStats({ deps, identity }: Viewer) {
  const em = deps.orm.em.fork();
  return byokStatsDto(await byokStats(em, await findCustomerFor(em, identity)));
}

/** The decrypted key, for the gateway alone; the answer must not be stored by any cache on the way. */
export async function readKeyAsGateway({
  deps,
  identity,
  params,
  query,
  ctx,
}: HandlerInput<typeof providerParams, typeof gatewayKeyQuery, undefined, 'billing-gateway'>) {
  ctx.set('Cache-Control', 'no-store');
  ctx.set('Pragma', 'no-cache');
  const { customer, row, apiKey } = await readKeyForGateway(
    deps.orm.em.fork(),
    byokRuntime(deps),
    deps.rateLimiter,
    identity,
    query,
    params.provider,
  );
  ctx.state.log?.info(
    { provider: row.provider, customerId: customer.id },
    'provider key read by the gateway',
  );
  return {
    provider: row.provider as ByokProviderId,
    api_key: apiKey,
    key_hint: `…${row.keyHint}`,
    customer_id: customer.id,
    user_id: customer.userId,
    updated_at: row.updatedAt.toISOString(),
  };
}
