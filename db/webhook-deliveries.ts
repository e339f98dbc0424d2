import type { EntityManager } from '@mikro-orm/core';
import type { EventToFanOut, Fanned } from '../domain/webhook-delivery';
import { BillingEvent, WebhookDelivery, WebhookEndpoint } from './entities';
import { newId } from './ids';
import { sqlFor, type Sql } from './raw-sql';

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

/**
 * One pass of handing events out, in one transaction: the oldest `limit` unpublished events and the enabled
 * endpoints are read, `decide` says which deliveries they make, those are added (a retried pass adds none
 * twice) and the events marked published. Answers what `decide` answered and how many events it saw.
 */
export async function fanOutPass<Q>(
  em: EntityManager,
  limit: number,
  now: Date,
  decide: (
    events: EventToFanOut[],
    endpoints: { id: string; enabled: boolean; eventTypes: string[] }[],
  ) => { deliveries: Fanned[]; queues: Q[] },
): Promise<{ queues: Q[]; events: number }> {
  return em.transactional(async (tx) => {
    const events = await tx.find(
      BillingEvent,
      { publishedAt: null },
      { orderBy: { createdAt: 'asc', id: 'asc' }, limit, fields: ['id', 'customerId', 'type', 'createdAt'] },
    );
    if (events.length === 0) return { queues: [], events: 0 };
    const endpoints = await tx.find(
      WebhookEndpoint,
      { enabled: true },
      { fields: ['id', 'enabled', 'eventTypes'] },
    );
    const fanned = decide(
      events.map((e) => ({
        id: e.id,
        customerId: e.customerId ?? null,
        type: e.type,
        createdAt: e.createdAt,
      })),
      endpoints.map((e) => ({ id: e.id, enabled: e.enabled, eventTypes: e.eventTypes })),
    );
    const sql = sqlFor(tx);
    for (const d of fanned.deliveries) {
      await addDelivery(sql, {
        eventId: d.event.id,
        endpointId: d.endpointId,
        queueKey: d.queueKey,
        eventType: d.event.type,
        eventCreatedAt: d.event.createdAt,
        now,
      });
    }
    await tx.nativeUpdate(BillingEvent, { id: { $in: events.map((e) => e.id) } }, { publishedAt: now });
    return { queues: fanned.queues, events: events.length };
  });
}

/** The oldest pending delivery of a queue, or null when there is none or its endpoint is off or gone. */
export async function queueHead(
  em: EntityManager,
  q: { endpointId: string; queueKey: string },
): Promise<{ id: string; nextAttemptAt: Date | null } | null> {
  const endpoint = await em.findOne(WebhookEndpoint, { id: q.endpointId }, { fields: ['enabled'] });
  if (!endpoint?.enabled) return null;
  const head = await em.findOne(
    WebhookDelivery,
    { endpointId: q.endpointId, queueKey: q.queueKey, status: 'pending' },
    { orderBy: { eventCreatedAt: 'asc', eventId: 'asc' }, fields: ['id', 'nextAttemptAt'] },
  );
  return head ? { id: head.id, nextAttemptAt: head.nextAttemptAt ?? null } : null;
}
