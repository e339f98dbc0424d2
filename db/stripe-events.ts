import type { EntityManager } from '@mikro-orm/core';
import { sqlFor } from './raw-sql';

/** A verified Stripe event as recorded on intake. */
export interface IncomingStripeEvent {
  id: string;
  type: string;
  objectId: string | null;
  stripeCreatedAt: Date;
  receivedAt: Date;
  /** The body as Stripe signed it. */
  payload: string;
}

/**
 * The ids inserted, none when the event was already there: Stripe redelivers, and the id as primary key
 * makes a redelivery a no-op. One plain statement, not awaited here (this is the path Stripe waits on).
 */
export function insertStripeEvent(em: EntityManager, e: IncomingStripeEvent): Promise<{ id: string }[]> {
  const sql = sqlFor(em);
  return sql.run<{ id: string }>(
    `insert into webhook_events (id, type, object_id, stripe_created_at, received_at, payload)
     values (?, ?, ?, ?, ?, ?) on conflict (id) do nothing returning id`,
    [e.id, e.type, e.objectId, sql.date(e.stripeCreatedAt), sql.date(e.receivedAt), e.payload],
  );
}

/** A recorded event and the workflows it went to (null: none). */
export interface StripeEventMark {
  eventId: string;
  workflowIds: string | null;
}

/** Marks events forwarded in one transaction (one commit for a burst); a forwarded payload is not kept. */
export function markStripeEventsForwarded(
  em: EntityManager,
  marks: readonly StripeEventMark[],
  now: Date,
): Promise<void> {
  return em.transactional(async (tem) => {
    const sql = sqlFor(tem);
    const at = sql.date(now);
    for (const m of marks) {
      await sql.run(
        'update webhook_events set forwarded_at = ?, payload = null, workflow_id = ? where id = ?',
        [at, m.workflowIds, m.eventId],
      );
    }
  });
}

/**
 * Whether a payment of this invoice was ever reported failed. Only such an invoice can be in dunning: a
 * subscription's workflow starts dunning from invoice.payment_failed, which is recorded before it is
 * forwarded, and Stripe events are never pruned.
 */
export async function invoicePaymentFailureRecorded(
  em: EntityManager,
  stripeInvoiceId: string,
): Promise<boolean> {
  const rows = await sqlFor(em).read(
    `select id from webhook_events where object_id = ? and type = 'invoice.payment_failed' limit 1`,
    [stripeInvoiceId],
  );
  return rows.length > 0;
}
