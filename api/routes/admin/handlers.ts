import { listAuditLog as listEntries } from '../../../services/audit/list-audit-log';
import type { HandlerInput } from '../../routing/define-route';
import { operationsView } from '../../../services/operations/operations-view';
import type { auditLogQuery, operationsQuery } from './schemas';

export async function listAuditLog({
  deps,
  query,
}: HandlerInput<undefined, typeof auditLogQuery, undefined, 'admin'>) {
  const page = await listEntries(deps.orm.em.fork(), {
    entityType: query.entity_type,
    entityId: query.entity_id,
    cursor: query.cursor,
    limit: query.limit,
  });
  return {
    entries: page.entries.map((e) => ({
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
    total: page.total,
    next_cursor: page.nextCursor,
  };
}

export const getOperations = ({
  deps,
  query,
}: HandlerInput<undefined, typeof operationsQuery, undefined, 'admin'>) =>
  operationsView(deps.orm.em.fork(), query);
