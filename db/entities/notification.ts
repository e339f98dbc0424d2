import { EntitySchema, type Opt } from '@mikro-orm/core';

/** Outbox of customer notifications; a sender delivers them (SMTP when configured) and stamps sentAt. */
export class Notification {
  id!: string;
  customerId!: string;
  email!: string;
  kind!: string;
  /** Unique per business event so a retried activity never queues the same message twice. */
  dedupeKey!: string;
  payload: Opt<Record<string, unknown>> = {};
  createdAt: Opt<Date> = new Date();
  sentAt?: Date | null;
  error?: string | null;
}

export const NotificationSchema = new EntitySchema<Notification>({
  class: Notification,
  tableName: 'notifications',
  properties: {
    id: { type: 'string', primary: true, length: 40 },
    customerId: { type: 'string', length: 40, index: true },
    email: { type: 'string' },
    kind: { type: 'string', length: 48 },
    dedupeKey: { type: 'string', unique: true },
    payload: { type: 'json' },
    createdAt: { type: 'Date' },
    sentAt: { type: 'Date', nullable: true },
    error: { type: 'text', nullable: true },
  },
});
