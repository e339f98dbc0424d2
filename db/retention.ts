import type { EntityManager } from '@mikro-orm/core';
import { subjectUsagePruneKeys, type RetainedKind } from '../domain/retention';
import { sqlFor } from './raw-sql';

/**
 * The rows of one kind that may go: older than the cutoff and finished (domain/retention.ts). Attempts go
 * with their delivery; a delivery once it succeeded or was given up; a billing event once published and no
 * delivery of it is still being tried; a mail once sent, or given up on (never sent within the window);
 * a top-up try once it is no longer at Stripe; a subject's usage counter once its window is long over.
 */
const PRUNABLE: Record<RetainedKind, string> = {
  webhook_attempts: `select a.id from webhook_attempts a join webhook_deliveries d on d.id = a.delivery_id
     where a.at < ? and d.status <> 'pending'`,
  webhook_deliveries: `select d.id from webhook_deliveries d
     where d.created_at < ? and d.status <> 'pending'
       and not exists (select 1 from webhook_attempts a where a.delivery_id = d.id)`,
  billing_events: `select e.id from billing_events e
     where e.created_at < ? and e.published_at is not null
       and not exists (select 1 from webhook_deliveries d where d.event_id = e.id and d.status = 'pending')`,
  notifications: `select n.id from notifications n where n.created_at < ?`,
  credit_top_ups: `select t.id from credit_top_ups t where t.updated_at < ? and t.status <> 'pending'`,
  subject_usage: `select u.customer_id, u.subject, u.window_key from subject_usage u
     where (u.window_key like 'd:%' and u.window_key < ?) or (u.window_key like 'p:%' and u.window_key < ?)`,
};

/** What names a row of each kind in the delete: an id, or the counter's whole key. */
function rowKey(kind: RetainedKind): string {
  return kind === 'subject_usage' ? '(customer_id, subject, window_key)' : 'id';
}

/** The statement's parameters before its limit: the cutoff, or the counters' last window keys. */
function cutoffParams(kind: RetainedKind, cutoff: Date, date: (d: Date) => unknown): unknown[] {
  if (kind !== 'subject_usage') return [date(cutoff)];
  const keys = subjectUsagePruneKeys(cutoff);
  return [keys.dayBefore, keys.periodBefore];
}

/** Deletes up to `limit` prunable rows of one kind, in one transaction; answers how many went. */
export async function pruneBefore(
  em: EntityManager,
  kind: RetainedKind,
  cutoff: Date,
  limit: number,
): Promise<number> {
  // The kind names a table in the statement: only the known ones, whatever a caller passes.
  if (!Object.hasOwn(PRUNABLE, kind)) throw new RangeError(`no retention rule for ${String(kind)}`);
  return em.fork().transactional(async (tem) => {
    const sql = sqlFor(tem);
    const gone = await sql.run<unknown>(
      `delete from ${kind} where ${rowKey(kind)} in (${PRUNABLE[kind]} limit ?) returning 1 as gone`,
      [...cutoffParams(kind, cutoff, (d) => sql.date(d)), limit],
    );
    return gone.length;
  });
}
