import { EntitySchema, type Opt } from '@mikro-orm/core';

/** A Stripe event seen by the webhook route; its primary key (Stripe's event id) makes a redelivery a no-op. */
export class WebhookEvent {
  id!: string;
  type!: string;
  objectId?: string | null;
  stripeCreatedAt!: Date;
  receivedAt: Opt<Date> = new Date();
  workflowId?: string | null;
}

export const WebhookEventSchema = new EntitySchema<WebhookEvent>({
  class: WebhookEvent,
  tableName: 'webhook_events',
  properties: {
    id: { type: 'string', primary: true },
    type: { type: 'string' },
    objectId: { type: 'string', nullable: true },
    stripeCreatedAt: { type: 'datetime' },
    receivedAt: { type: 'datetime' },
    workflowId: { type: 'string', nullable: true },
  },
});
