import type { EntityManager } from '@mikro-orm/core';
import type { Customer, ProviderKey } from '../../db/entities';
import type { ByokProviderId } from '../../domain/byok-providers';
import { AppError, notFound } from '../../domain/errors';
import type { Identity } from '../../domain/identity';
import { accessOf } from '../access/check-access';
import { findCustomerByRef } from '../customers/find-customer';
import type { RateLimiter } from '../rate-limits/rate-limiter';
import { openProviderKey, UnreadableKeyError } from './crypto';
import { audit, findProviderKey } from './provider-keys';
import type { ByokRuntime } from './runtime';

/** Too many key reads; the caller is told when to come back. */
export class KeyReadsLimited extends AppError {
  constructor(
    readonly retryAfterSeconds: number,
    scope: 'gateway' | 'customer',
  ) {
    super(
      'rate_limited',
      'rate_limited',
      scope === 'gateway'
        ? 'This gateway reads keys too often; try again later'
        : "This customer's key is read too often; try again later",
      { scope, retry_after_seconds: retryAfterSeconds },
    );
  }
}

export interface GatewayKeyRead {
  customer: Customer;
  row: ProviderKey;
  apiKey: string;
}

/**
 * Hands the gateway a customer's decrypted key for one provider, so it can call the provider on their
 * behalf. Every read that reaches a stored key is audited (who, whose, which provider, by hint; never the
 * key), a key that no longer decrypts included. Reads are limited per gateway identity and per customer
 * across every API process (the database's buckets), and refused for a customer whose plan has no BYOK,
 * so a leaked gateway token cannot drain every customer's keys at once.
 */
export async function readKeyForGateway(
  em: EntityManager,
  runtime: ByokRuntime,
  limiter: RateLimiter,
  gateway: Identity,
  ref: { customer_email?: string; user_id?: string },
  provider: ByokProviderId,
): Promise<GatewayKeyRead> {
  const byGateway = await limiter.take('byok_read_gateway', gateway.sub, runtime.keyReads.perGateway);
  if (!byGateway.taken) throw new KeyReadsLimited(byGateway.retryAfterSeconds, 'gateway');
  const customer = await findCustomerByRef(em, ref);
  if (!customer) throw notFound('customer');
  // A key is handed out only while the customer's plan includes BYOK: a stored key outlives a downgrade,
  // and a customer who never had BYOK has nothing the gateway should be reading.
  const access = await accessOf(em, customer.id);
  if (!access.services.includes('byok')) {
    throw new AppError(
      'forbidden',
      'byok_not_in_plan',
      "The customer's plan does not include bring-your-own-key",
    );
  }
  const byCustomer = await limiter.take('byok_read_customer', customer.id, runtime.keyReads.perCustomer);
  if (!byCustomer.taken) throw new KeyReadsLimited(byCustomer.retryAfterSeconds, 'customer');
  const row = await findProviderKey(em, customer, provider);
  const view = {
    customer_id: customer.id,
    user_id: customer.userId,
    provider: row.provider,
    key_hint: row.keyHint,
    key_version: row.keyVersion,
  };
  let apiKey: string;
  try {
    apiKey = openProviderKey(runtime.keyring, { customerId: customer.id, provider: row.provider }, row);
  } catch (err) {
    if (!(err instanceof UnreadableKeyError)) throw err;
    audit(em, gateway, 'byok.key_read_failed', row.id, {
      before: null,
      after: { ...view, reason: 'unreadable' },
    });
    await em.flush();
    throw new AppError(
      'conflict',
      'provider_key_unreadable',
      'The stored key can no longer be decrypted (it was stored under a master key that is no longer configured); the customer must add it again',
      { provider: row.provider },
    );
  }
  audit(em, gateway, 'byok.key_read', row.id, { before: null, after: view });
  await em.flush();
  return { customer, row, apiKey };
}
