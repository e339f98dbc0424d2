import type Stripe from 'stripe';

/** The object a Stripe event carries, read field by field: its shape depends on the event's type. */
export type StripeObject = Readonly<Record<string, unknown>> & {
  readonly id?: string;
  /** Stripe's name for the object's kind: 'charge', 'refund', 'dispute', 'invoice', ... */
  readonly object?: string;
};

/** The one place an event's typed union of objects is read as a plain record. */
export function eventObject(event: Pick<Stripe.Event, 'data'>): StripeObject {
  return event.data.object as unknown as StripeObject;
}
