import type { EntityManager, FilterQuery } from '@mikro-orm/core';
import { AuditEntry } from '../../db/entities';
import { NEWEST_ID_FIRST, seekPage } from '../../db/keyset-pagination';

/** Newest first, optionally of one entity type or one entity; a page continues after the cursor's entry. */
export async function listAuditLog(
  em: EntityManager,
  q: { entityType?: string; entityId?: string; cursor?: string; limit: number },
) {
  const where: FilterQuery<AuditEntry> = {};
  if (q.entityType) where.entityType = q.entityType;
  if (q.entityId) where.entityId = q.entityId;
  const page = await seekPage(em, AuditEntry, where, {
    key: NEWEST_ID_FIRST,
    limit: q.limit,
    cursor: q.cursor,
  });
  return { entries: page.items, total: page.total, nextCursor: page.nextCursor };
}
