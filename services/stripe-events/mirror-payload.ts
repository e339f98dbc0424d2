import type Stripe from 'stripe';
import { mirrorFirstCard, upsertCharge, upsertInvoice } from '../../db/mirror';
import { clockOf } from '../../domain/clock';
import { eventObject } from '../../integrations/stripe/event-object';
import type { CoreDeps } from '../deps';

/**
 * What a recorded event's row says of an event the intake mirrored itself, in place of the workflow ids it
 * was handed to.
 */
export const MIRRORED_FROM_PAYLOAD = 'payload-mirror';

/**
 * Writes an invoice or its payment's charge into the mirror from the event's payload (the route decided the
 * payload is enough: `payloadMirrors`). Says whether it was written. False when its customer is not
 * mirrored yet, or when the write failed (a payload the mirror refuses, the database away): the object's run
 * then reads it, retrying as long as it takes, as it would have without this shortcut.
 */
export async function mirrorFromPayload(deps: CoreDeps, event: Stripe.Event): Promise<boolean> {
  const o = eventObject(event);
  const em = deps.orm.em.fork();
  try {
    if (o.object === 'invoice')
      return (await upsertInvoice(em, o as unknown as Stripe.Invoice, clockOf(deps))) !== null;
    if (o.object === 'charge')
      return (await upsertCharge(em, o as unknown as Stripe.Charge, null, clockOf(deps))) !== null;
  } catch (err) {
    deps.logger.warn({ err, eventId: event.id, type: event.type }, 'payload not mirrored; its run reads it');
  }
  return false;
}

/**
 * Writes an attached card into the mirror from the event's payload when it is the customer's first
 * (`mirrorFirstCard`); says whether it was written. False for any other card, or when the write failed (a
 * second process writing the same card first, the database away): the customer's card run then reads them.
 */
export async function mirrorCardFromPayload(
  deps: CoreDeps,
  event: Stripe.Event,
  customerId: string,
): Promise<boolean> {
  try {
    return await mirrorFirstCard(
      deps.orm.em.fork(),
      customerId,
      eventObject(event) as unknown as Stripe.PaymentMethod,
      clockOf(deps),
    );
  } catch (err) {
    deps.logger.warn({ err, eventId: event.id, type: event.type }, 'card not mirrored; its run reads it');
    return false;
  }
}
