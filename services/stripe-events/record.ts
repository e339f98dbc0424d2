import type Stripe from 'stripe';
import { insertStripeEvent } from '../../db/stripe-events';
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
  const inserted = await insertStripeEvent(deps.orm.em.fork(), {
    id: event.id,
    type: event.type,
    objectId: eventObject(event).id ?? null,
    stripeCreatedAt: new Date(event.created * 1000),
    receivedAt: clockOf(deps).now(),
    payload,
  });
  return { duplicate: inserted.length === 0 };
}
