import { EntitySchema, type Opt } from '@mikro-orm/core';

/**
 * Where outgoing webhooks go. The signing secret is stored encrypted under the BYOK keyring (bound to the
 * endpoint's id, so a ciphertext copied to another row does not open); `failingSince` is when the current
 * run of failed attempts began, cleared by a success, and what disables an endpoint after
 * WEBHOOK_DISABLE_AFTER_DAYS.
 */
export class WebhookEndpoint {
  id!: string;
  url!: string;
  description?: string | null;
  /** The event types it receives (domain/webhook-endpoints.ts WEBHOOK_EVENT_TYPES). */
  eventTypes: Opt<string[]> = [];
  enabled: Opt<boolean> = true;
  secretCiphertext!: string;
  secretNonce!: string;
  secretKeyVersion!: number;
  failingSince?: Date | null;
  disabledAt?: Date | null;
  disabledReason?: string | null;
  /** Set once the admins were told it was disabled automatically: a retried activity mails once. */
  disabledMailSentAt?: Date | null;
  createdAt: Opt<Date> = new Date();
  updatedAt: Opt<Date> = new Date();
}

export type WebhookDeliveryStatus = 'pending' | 'succeeded' | 'failed';

/**
 * One event to one endpoint. Deliveries of an endpoint and customer go out in the order of their events
 * (`queueKey` is the customer, or '' for an event of no customer); `nextAttemptAt` is when the queue's
 * workflow tries the head again, and a pending row long past it has nobody working on it.
 */
export class WebhookDelivery {
  id!: string;
  eventId!: string;
  endpointId!: string;
  queueKey!: string;
  eventType!: string;
  eventCreatedAt!: Date;
  status: Opt<WebhookDeliveryStatus> = 'pending';
  attempts: Opt<number> = 0;
  firstAttemptAt?: Date | null;
  lastAttemptAt?: Date | null;
  nextAttemptAt?: Date | null;
  deliveredAt?: Date | null;
  createdAt: Opt<Date> = new Date();
}

/** One HTTP attempt of a delivery, as the console's delivery log shows it. */
export class WebhookAttempt {
  id!: string;
  deliveryId!: string;
  endpointId!: string;
  at!: Date;
  /** An admin's redelivery, outside the queue's order and retries. */
  manual: Opt<boolean> = false;
  ok!: boolean;
  /** Null when no answer came (refused, timed out, a private address). */
  statusCode?: number | null;
  latencyMs!: number;
  error?: string | null;
  /** The start of the answer's body, printable characters only. */
  responseExcerpt?: string | null;
}

export const WebhookEndpointSchema = new EntitySchema<WebhookEndpoint>({
  class: WebhookEndpoint,
  tableName: 'webhook_endpoints',
  properties: {
    id: { type: 'string', primary: true, length: 40 },
    url: { type: 'text' },
    description: { type: 'string', length: 200, nullable: true },
    eventTypes: { type: 'json' },
    enabled: { type: 'boolean', default: true },
    secretCiphertext: { type: 'text' },
    secretNonce: { type: 'string', length: 40 },
    secretKeyVersion: { type: 'integer' },
    failingSince: { type: 'Date', nullable: true },
    disabledAt: { type: 'Date', nullable: true },
    disabledReason: { type: 'string', length: 300, nullable: true },
    disabledMailSentAt: { type: 'Date', nullable: true },
    createdAt: { type: 'Date' },
    updatedAt: { type: 'Date', onUpdate: () => new Date() },
  },
});

export const WebhookDeliverySchema = new EntitySchema<WebhookDelivery>({
  class: WebhookDelivery,
  tableName: 'webhook_deliveries',
  uniques: [{ properties: ['eventId', 'endpointId'] }],
  indexes: [
    { properties: ['endpointId', 'queueKey', 'status', 'eventCreatedAt'] },
    { properties: ['status', 'nextAttemptAt'] },
    { properties: ['endpointId', 'createdAt'] },
  ],
  properties: {
    id: { type: 'string', primary: true, length: 40 },
    eventId: { type: 'string', length: 40 },
    endpointId: { type: 'string', length: 40 },
    queueKey: { type: 'string', length: 40 },
    eventType: { type: 'string', length: 48 },
    eventCreatedAt: { type: 'Date' },
    status: { type: 'string', length: 16, default: 'pending' },
    attempts: { type: 'integer', default: 0 },
    firstAttemptAt: { type: 'Date', nullable: true },
    lastAttemptAt: { type: 'Date', nullable: true },
    nextAttemptAt: { type: 'Date', nullable: true },
    deliveredAt: { type: 'Date', nullable: true },
    createdAt: { type: 'Date' },
  },
});

export const WebhookAttemptSchema = new EntitySchema<WebhookAttempt>({
  class: WebhookAttempt,
  tableName: 'webhook_attempts',
  indexes: [{ properties: ['deliveryId', 'at'] }],
  properties: {
    id: { type: 'string', primary: true, length: 40 },
    deliveryId: { type: 'string', length: 40 },
    endpointId: { type: 'string', length: 40 },
    at: { type: 'Date' },
    manual: { type: 'boolean', default: false },
    ok: { type: 'boolean' },
    statusCode: { type: 'integer', nullable: true },
    latencyMs: { type: 'integer' },
    error: { type: 'string', length: 300, nullable: true },
    responseExcerpt: { type: 'text', nullable: true },
  },
});
