import type { EntityManager, FilterQuery } from '@mikro-orm/core';
import { AuditEntry } from '../../db/entities';

/** Newest first; the cursor is the last id seen (ids sort by creation time). */
export async function listAuditLog(
  em: EntityManager,
  q: { entityType?: string; entityId?: string; cursor?: string; limit: number },
) {
  const where: FilterQuery<AuditEntry> = {};
  if (q.entityType) where.entityType = q.entityType;
  if (q.entityId) where.entityId = q.entityId;
  const total = await em.count(AuditEntry, where);
  const page = await em.find(AuditEntry, q.cursor ? { ...where, id: { $lt: q.cursor } } : where, {
    orderBy: { id: 'desc' },
    limit: q.limit + 1,
  });
  const entries = page.slice(0, q.limit);
  const more = page.length > q.limit;
  return { entries, total, nextCursor: more ? (entries[entries.length - 1]?.id ?? null) : null };
}
