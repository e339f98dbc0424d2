import type { EntityManager, FilterQuery } from '@mikro-orm/core';
import { AuditEntry, CreditGrant, Customer, Invoice, ProviderKey, Subscription } from '../../db/entities';
import { NEWEST_ID_FIRST, seekPage } from '../../db/keyset-pagination';
import { notFound } from '../../domain/errors';
import { redactedEndpointImage } from '../../domain/webhook-endpoints';

export interface AuditFilter {
  entityType?: string;
  entityId?: string;
  /** Entries about this customer (by email): the customer, their subscriptions, invoices and keys. */
  customer?: string;
  /** Who acted: their email or subject. */
  actor?: string;
  action?: string;
}

/**
 * The objects an entry can be about that belong to one customer. Audit entries name the object they
 * changed (a subscription, an invoice by either id, a provider key, a credit grant, the customer for a usage
 * reset or their spend-cap maximum), so
 * "about this customer" is any of these.
 */
async function customerObjects(em: EntityManager, email: string): Promise<FilterQuery<AuditEntry>> {
  const customer = await em.findOne(Customer, { email: email.toLowerCase() }, { fields: ['id'] });
  if (!customer) throw notFound('customer', email);
  const [subs, invoices, keys, grants] = await Promise.all([
    em.find(Subscription, { customer }, { fields: ['id'] }),
    em.find(Invoice, { customer }, { fields: ['id', 'stripeInvoiceId'] }),
    em.find(ProviderKey, { customer }, { fields: ['id'] }),
    em.find(CreditGrant, { customerId: customer.id }, { fields: ['id'] }),
  ]);
  const about = (entityType: string, ids: string[]) =>
    ids.length ? [{ entityType, entityId: { $in: ids } }] : [];
  return {
    $or: [
      { entityType: 'customer', entityId: customer.id },
      ...about(
        'subscription',
        subs.map((s) => s.id),
      ),
      ...about(
        'invoice',
        invoices.flatMap((i) => [i.id, i.stripeInvoiceId]),
      ),
      ...about(
        'provider_key',
        keys.map((k) => k.id),
      ),
      ...about(
        'credit_grant',
        grants.map((g) => g.id),
      ),
    ],
  };
}

/** The filter of `GET /admin/audit-log` and its export, as a query over the audit table. */
export async function auditWhere(em: EntityManager, q: AuditFilter): Promise<FilterQuery<AuditEntry>> {
  const where: FilterQuery<AuditEntry>[] = [];
  if (q.entityType) where.push({ entityType: q.entityType });
  if (q.entityId) where.push({ entityId: q.entityId });
  if (q.action) where.push({ action: q.action });
  if (q.actor)
    where.push({ $or: [{ actorEmail: { $in: [q.actor, q.actor.toLowerCase()] } }, { actorId: q.actor }] });
  if (q.customer) where.push(await customerObjects(em, q.customer));
  return where.length === 0 ? {} : where.length === 1 ? where[0]! : { $and: where };
}

/**
 * An entry's before or after as the log and its export show it: a webhook endpoint's address redacted,
 * for entries recorded before the address was redacted when written.
 */
export function shownImage(entityType: string, image: unknown): unknown {
  return entityType === 'webhook_endpoint' ? redactedEndpointImage(image) : image;
}

/** Newest first, filtered by object, customer, actor or action; a page continues after the cursor's entry. */
export async function listAuditLog(em: EntityManager, q: AuditFilter & { cursor?: string; limit: number }) {
  const page = await seekPage(em, AuditEntry, await auditWhere(em, q), {
    key: NEWEST_ID_FIRST,
    limit: q.limit,
    cursor: q.cursor,
  });
  return { entries: page.items, total: page.total, nextCursor: page.nextCursor };
}
