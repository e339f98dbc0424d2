import type { FilterQuery } from '@mikro-orm/core';
import { AuditEntry } from '../../../db/entities';
import type { HandlerInput } from '../../routing/define-route';
import type { auditLogQuery } from './schemas';

/** Newest first; the cursor is the last id seen (ids sort by creation time). */
export async function listAuditLog({
  deps,
  query,
}: HandlerInput<undefined, typeof auditLogQuery, undefined, 'admin'>) {
  const em = deps.orm.em.fork();
  const where: FilterQuery<AuditEntry> = {};
  if (query.entity_type) where.entityType = query.entity_type;
  if (query.entity_id) where.entityId = query.entity_id;
  const total = await em.count(AuditEntry, where);
  const page = await em.find(AuditEntry, query.cursor ? { ...where, id: { $lt: query.cursor } } : where, {
    orderBy: { id: 'desc' },
    limit: query.limit + 1,
  });
  const more = page.length > query.limit;
  const entries = page.slice(0, query.limit);
  return {
    entries: entries.map((e) => ({
      id: e.id,
      actor_id: e.actorId,
      actor_email: e.actorEmail ?? null,
      action: e.action,
      entity_type: e.entityType,
      entity_id: e.entityId,
      before: e.before ?? null,
      after: e.after ?? null,
      created_at: e.createdAt.toISOString(),
    })),
    total,
    next_cursor: more ? (entries[entries.length - 1]?.id ?? null) : null,
  };
}
