import { EntitySchema, type Opt } from '@mikro-orm/core';

/** A Stripe event as received; its primary key (Stripe's event id) makes a redelivery a no-op. */
export class StripeEvent {
  id!: string;
  type!: string;
  objectId?: string | null;
  stripeCreatedAt!: Date;
  receivedAt: Opt<Date> = new Date();
  workflowId?: string | null;
  /** The verified event as Stripe sent it, kept until it has been handed to its workflow. */
  payload?: string | null;
  /** Set once the event is handed to its workflow; unset rows are what the forwarder's sweep retries. */
  forwardedAt?: Date | null;
}

export const StripeEventSchema = new EntitySchema<StripeEvent>({
  class: StripeEvent,
  // The table keeps its first name: renaming it is a migration on live data for a word.
  tableName: 'webhook_events',
  // By object: whether an invoice's payment ever failed decides if its invoice.paid concerns dunning.
  indexes: [{ properties: ['forwardedAt', 'receivedAt'] }, { properties: ['objectId', 'type'] }],
  properties: {
    id: { type: 'string', primary: true },
    type: { type: 'string' },
    objectId: { type: 'string', nullable: true },
    stripeCreatedAt: { type: 'Date' },
    receivedAt: { type: 'Date' },
    workflowId: { type: 'string', nullable: true },
    payload: { type: 'text', nullable: true },
    forwardedAt: { type: 'Date', nullable: true },
  },
});
