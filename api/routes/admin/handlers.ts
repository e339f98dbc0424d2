import { listAuditLog as listEntries } from '../../../services/audit/list-audit-log';
import type { HandlerInput } from '../../routing/define-route';
import { operationsView } from '../../../services/operations/operations-view';
import { clockOf } from '../../../domain/clock';
import { exportAuditLogCsv } from '../../../services/audit/export-audit-log';
import { shownImage, type AuditFilter } from '../../../services/audit/list-audit-log';
import { operationsDto } from './dto';
import type { auditLogExportQuery, auditLogQuery, operationsQuery } from './schemas';

function auditFilterOf(q: {
  entity_type?: string;
  entity_id?: string;
  customer?: string;
  actor?: string;
  action?: string;
}): AuditFilter {
  return {
    entityType: q.entity_type,
    entityId: q.entity_id,
    customer: q.customer,
    actor: q.actor,
    action: q.action,
  };
}

export async function listAuditLog({
  deps,
  query,
}: HandlerInput<undefined, typeof auditLogQuery, undefined, 'admin'>) {
  const page = await listEntries(deps.orm.em.fork(), {
    ...auditFilterOf(query),
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
      before: shownImage(e.entityType, e.before) ?? null,
      after: shownImage(e.entityType, e.after) ?? null,
      created_at: e.createdAt.toISOString(),
    })),
    total: page.total,
    next_cursor: page.nextCursor,
  };
}

export async function getOperations({
  deps,
  query,
}: HandlerInput<undefined, typeof operationsQuery, undefined, 'admin'>) {
  const since = query.since ? new Date(query.since) : undefined;
  return operationsDto(await operationsView(deps.orm.em.fork(), { ...query, since }, clockOf(deps)));
}

/** The filtered audit log as a CSV download, streamed. */
export async function exportAuditLog({
  deps,
  query,
  ctx,
}: HandlerInput<undefined, typeof auditLogExportQuery, undefined, 'admin'>) {
  const body = await exportAuditLogCsv(deps.orm.em.fork(), auditFilterOf(query));
  ctx.status = 200;
  ctx.type = 'text/csv; charset=utf-8';
  ctx.set('Content-Disposition', 'attachment; filename="audit-log.csv"');
  ctx.set('Cache-Control', 'private, no-store');
  ctx.body = body;
  return undefined;
}
