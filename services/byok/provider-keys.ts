import { UniqueConstraintViolationException, type EntityManager } from '@mikro-orm/core';
import type { ByokKeyring } from '../../config/byok-key';
import { type Customer, ProviderKey } from '../../db/entities';
import { newId } from '../../db/ids';
import { keyHint, type ByokProviderId } from '../../domain/byok-providers';
import { notFound } from '../../domain/errors';
import type { Identity } from '../../domain/identity';
import { sealProviderKey } from './crypto';
import { byokKeysMemo, countersFor } from '../../db/usage-counters';
import { recordAudit } from '../../db/audit';

export const AUDIT_ENTITY = 'provider_key';

/** The customer's stored keys, one per provider, in provider order. */
export function listProviderKeys(em: EntityManager, customer: Customer): Promise<ProviderKey[]> {
  return em.find(ProviderKey, { customer }, { orderBy: { provider: 'asc' } });
}

export async function findProviderKey(
  em: EntityManager,
  customer: Customer | null,
  provider: ByokProviderId,
): Promise<ProviderKey> {
  const row = customer ? await em.findOne(ProviderKey, { customer, provider }) : null;
  if (!row) throw notFound('provider_key', provider);
  return row;
}

// Audit entries describe a key by its hint only.
function auditView(row: ProviderKey) {
  return { provider: row.provider, key_hint: row.keyHint, created_at: row.createdAt.toISOString() };
}

export function audit(
  em: EntityManager,
  identity: Identity,
  action: string,
  entityId: string,
  change: { before: unknown; after: unknown },
) {
  recordAudit(em, {
    actor: identity,
    action,
    entityType: AUDIT_ENTITY,
    entityId,
    ...change,
  });
}

export interface StoreKeyInput {
  identity: Identity;
  customer: Customer;
  provider: ByokProviderId;
  apiKey: string;
  keyring: ByokKeyring;
  now: Date;
}

/** Stores the caller's key for a provider, replacing (and auditing the replacement of) any earlier one. */
export async function storeProviderKey(
  em: EntityManager,
  input: StoreKeyInput,
): Promise<{ row: ProviderKey; replaced: boolean }> {
  try {
    return await storeOnce(em.fork(), input);
  } catch (err) {
    // Two adds raced past the lookup; the second becomes a replacement of the first.
    if (!(err instanceof UniqueConstraintViolationException)) throw err;
    return storeOnce(em.fork(), input);
  } finally {
    countersFor(em).forgetSnapshot(byokKeysMemo(input.customer.id));
  }
}

async function storeOnce(em: EntityManager, input: StoreKeyInput) {
  const { identity, customer, provider, apiKey, keyring, now } = input;
  const sealed = sealProviderKey(keyring, { customerId: customer.id, provider }, apiKey);
  const existing = await em.findOne(ProviderKey, { customer: customer.id, provider });
  if (existing) {
    const before = auditView(existing);
    Object.assign(existing, sealed, {
      keyHint: keyHint(apiKey),
      lastTestedAt: null,
      lastTestResult: null,
      createdAt: now,
      updatedAt: now,
    });
    audit(em, identity, 'byok.key_replaced', existing.id, { before, after: auditView(existing) });
    await em.flush();
    return { row: existing, replaced: true };
  }
  const row = em.create(ProviderKey, {
    id: newId('pk'),
    customer: customer.id,
    provider,
    ...sealed,
    keyHint: keyHint(apiKey),
    createdAt: now,
    updatedAt: now,
  });
  audit(em, identity, 'byok.key_added', row.id, { before: null, after: auditView(row) });
  await em.flush();
  return { row, replaced: false };
}

/** Removes the caller's key for a provider; 404 when they have none (including another user's). */
export async function deleteProviderKey(
  em: EntityManager,
  identity: Identity,
  customer: Customer | null,
  provider: ByokProviderId,
): Promise<void> {
  const row = await findProviderKey(em, customer, provider);
  audit(em, identity, 'byok.key_deleted', row.id, { before: auditView(row), after: null });
  em.remove(row);
  await em.flush();
  countersFor(em).forgetSnapshot(byokKeysMemo(row.customer.id));
}
