import type { EntityManager } from '@mikro-orm/core';
import { AuditEntry } from './entities';
import { newId } from './ids';

export interface AuditRecord {
  /** Who acted: a person's subject and email, or the engine itself. */
  actor: { sub: string; email: string | null };
  /** What was done, `<object>.<verb>` (e.g. `plan.migrate`, `invoice.refund`). */
  action: string;
  entityType: string;
  entityId: string;
  before?: unknown;
  after?: unknown;
  /** A caller-chosen id makes a retried write land on the same entry. */
  id?: string;
}

/**
 * Adds an audit entry to the unit of work of `em`: it is stored with the change it describes, by the
 * caller's flush or transaction, or not at all.
 */
export function recordAudit(em: EntityManager, r: AuditRecord): AuditEntry {
  return em.create(AuditEntry, {
    id: r.id ?? newId('aud'),
    actorId: r.actor.sub,
    actorEmail: r.actor.email,
    action: r.action,
    entityType: r.entityType,
    entityId: r.entityId,
    before: r.before ?? null,
    after: r.after ?? null,
  });
}

/** How many entries of these actions an entity has: the number of such changes made to it so far. */
export function countAudits(
  em: EntityManager,
  entityType: string,
  entityId: string,
  actions: readonly string[],
): Promise<number> {
  return em.count(AuditEntry, { entityType, entityId, action: { $in: [...actions] } });
}
