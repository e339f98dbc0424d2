import type { EntityManager } from '@mikro-orm/core';
import type { RetainedKind } from '../domain/retention';
import { sqlFor } from './raw-sql';

/**
 * The rows of one kind that may go: older than the cutoff and finished (domain/retention.ts). Attempts go
 * with their delivery; a delivery once it succeeded or was given up; a billing event once published and no
 * delivery of it is still being tried; a mail once sent, or given up on (never sent within the window);
 * a top-up try once it is no longer at Stripe.
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
};

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
    const gone = await sql.run<{ id: string }>(
      `delete from ${kind} where id in (${PRUNABLE[kind]} limit ?) returning id`,
      [sql.date(cutoff), limit],
    );
    return gone.length;
  });
}
