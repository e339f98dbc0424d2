import { newId } from './ids';
import type { Sql } from './raw-sql';

/**
 * A pending delivery of an event to an endpoint, in the customer's queue; the unique (event, endpoint)
 * pair makes adding it again a no-op.
 */
export async function addDelivery(
  sql: Sql,
  d: {
    eventId: string;
    endpointId: string;
    queueKey: string;
    eventType: string;
    eventCreatedAt: Date;
    now: Date;
  },
): Promise<void> {
  await sql.run(
    `insert into webhook_deliveries (id, event_id, endpoint_id, queue_key, event_type, event_created_at, status, attempts, created_at)
             values (?, ?, ?, ?, ?, ?, 'pending', 0, ?) on conflict (event_id, endpoint_id) do nothing`,
    [
      newId('whd'),
      d.eventId,
      d.endpointId,
      d.queueKey,
      d.eventType,
      sql.date(d.eventCreatedAt),
      sql.date(d.now),
    ],
  );
}

/**
 * Queues of enabled endpoints with a pending delivery never tried and made before `before`, or whose next
 * try was due before it; at most 500.
 */
export function strandedDeliveryQueues(
  sql: Sql,
  before: Date,
): Promise<{ endpoint_id: string; queue_key: string }[]> {
  const at = sql.date(before);
  return sql.run<{ endpoint_id: string; queue_key: string }>(
    `select distinct d.endpoint_id, d.queue_key from webhook_deliveries d
       join webhook_endpoints e on e.id = d.endpoint_id and e.enabled = ?
       where d.status = 'pending'
         and ((d.next_attempt_at is null and d.created_at < ?) or d.next_attempt_at < ?)
       limit 500`,
    [sql.bool(true), at, at],
  );
}
