import { EntitySchema, type Opt } from '@mikro-orm/core';

/**
 * Outbox of business events for outgoing webhooks (`usage.threshold_reached`, `credits.low`,
 * `spend_cap.reached`, …), written in the transaction of what caused them; a publisher stamps publishedAt.
 */
export class BillingEvent {
  id!: string;
  customerId?: string | null;
  type!: string;
  payload: Opt<Record<string, unknown>> = {};
  /** Unique per business event: a crossing recorded twice is one event. */
  dedupeKey!: string;
  createdAt: Opt<Date> = new Date();
  publishedAt?: Date | null;
}

export const BillingEventSchema = new EntitySchema<BillingEvent>({
  class: BillingEvent,
  tableName: 'billing_events',
  indexes: [{ properties: ['publishedAt', 'createdAt'] }, { properties: ['customerId', 'createdAt'] }],
  properties: {
    id: { type: 'string', primary: true, length: 40 },
    customerId: { type: 'string', length: 40, nullable: true },
    type: { type: 'string', length: 48 },
    payload: { type: 'json' },
    dedupeKey: { type: 'string', length: 200, unique: true },
    createdAt: { type: 'Date' },
    publishedAt: { type: 'Date', nullable: true },
  },
});
