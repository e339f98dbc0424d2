import type Stripe from 'stripe';
import { sqlFor } from '../../db/raw-sql';
import { eventObject } from '../../integrations/stripe/event-object';
import type { CoreDeps } from '../deps';
import { clockOf } from '../../domain/clock';

/**
 * Records a verified Stripe event durably; its id is the primary key, so a redelivery is a duplicate and
 * changes nothing. One plain statement (this is the path Stripe waits on); the event is handed to its
 * workflow afterwards (see forward.ts).
 */
export async function recordStripeEvent(
  deps: Pick<CoreDeps, 'orm' | 'clock'>,
  event: Stripe.Event,
  /** The body as Stripe signed it; kept as is rather than serialized again. */
  payload: string = JSON.stringify(event),
): Promise<{ duplicate: boolean }> {
  const sql = sqlFor(deps.orm.em.fork());
  const inserted = await sql.run(
    `insert into webhook_events (id, type, object_id, stripe_created_at, received_at, payload)
     values (?, ?, ?, ?, ?, ?) on conflict (id) do nothing returning id`,
    [
      event.id,
      event.type,
      eventObject(event).id ?? null,
      sql.date(new Date(event.created * 1000)),
      sql.date(clockOf(deps).now()),
      payload,
    ],
  );
  return { duplicate: inserted.length === 0 };
}
