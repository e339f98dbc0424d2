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
  // Bound, not quoted into the text by the ORM: the payload is a Stripe event of a few kB, every one the
  // intake receives.
  return sql.write<{ id: string }>(
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

/**
 * Marks events forwarded, a statement for each slice of a burst rather than one for each event: a billing
 * day's intake marks tens of thousands. A forwarded payload is not kept.
 */
export async function markStripeEventsForwarded(
  em: EntityManager,
  marks: readonly StripeEventMark[],
  now: Date,
): Promise<void> {
  const sql = sqlFor(em);
  const at = sql.date(now);
  for (let i = 0; i < marks.length; i += MARKS_A_STATEMENT) {
    const slice = marks.slice(i, i + MARKS_A_STATEMENT);
    await sql.run(
      `with marks (id, workflow_id) as (values ${slice.map(() => '(?, ?)').join(', ')})
       update webhook_events set forwarded_at = ?, payload = null,
         workflow_id = (select m.workflow_id from marks m where m.id = webhook_events.id)
       where id in (select id from marks)`,
      [...slice.flatMap((m) => [m.eventId, m.workflowIds]), at],
    );
  }
}

/** Two parameters a mark: well under what either database takes in one statement. */
const MARKS_A_STATEMENT = 250;

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
