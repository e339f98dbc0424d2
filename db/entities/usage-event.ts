import { EntitySchema, type Opt } from '@mikro-orm/core';
import type { UsageReporter } from '../../domain/usage-report';
import { Customer } from './customer';

/** One reported unit of metered usage; (customer, eventId, reporter) is the reporter's idempotency key. */
export class UsageEvent {
  id!: string;
  customer!: Customer;
  eventId!: string;
  /** Whose id namespace eventId is in: the gateway's or the customer's own (see domain/usage.ts). */
  reporter!: UsageReporter;
  type!: string;
  quantity!: number;
  occurredAt!: Date;
  receivedAt: Opt<Date> = new Date();
  metadata: Opt<Record<string, unknown>> = {};
  /** Ran on the customer's own provider key: shown in BYOK stats, not counted against credits. */
  byok: Opt<boolean> = false;
  /**
   * Units of it paid ahead: from prepaid credit grants or its subject's seat credits (not the period's
   * included credits). The rollup reports only the rest to Stripe and Lago, so what the ledger covered is
   * never billed again.
   */
  prepaid: Opt<number> = 0;
  /** Set once the event is folded into a rollup. */
  rollupId?: string | null;
  /** What inside the account it was for (a project, key or end user), when the reporter named one. */
  subject?: string | null;
}

export const UsageEventSchema = new EntitySchema<UsageEvent>({
  class: UsageEvent,
  tableName: 'usage_events',
  // The event id leads: a lookup by customer alone (the usage view's events of a day) then has one index
  // to take, (customer, occurredAt). With the customer first in both, PostgreSQL could plan it on the
  // unique index while the table was empty and keep that plan, filtering every event of the customer.
  // The reporter is last: ids rarely repeat across reporters, so (event id, customer) stays as selective.
  uniques: [{ properties: ['eventId', 'customer', 'reporter'] }],
  indexes: [{ properties: ['rollupId', 'occurredAt'] }, { properties: ['customer', 'occurredAt'] }],
  properties: {
    id: { type: 'string', primary: true, length: 40 },
    // No index of its own (SQLite would make one for the foreign key): (customer, occurredAt) leads with
    // it, and each index is one more page every stored event writes.
    customer: { kind: 'm:1', entity: () => Customer, index: false },
    eventId: { type: 'string' },
    reporter: { type: 'string', length: 8 },
    type: { type: 'string', length: 32 },
    quantity: { type: 'integer' },
    occurredAt: { type: 'Date' },
    receivedAt: { type: 'Date' },
    metadata: { type: 'json' },
    byok: { type: 'boolean' },
    prepaid: { type: 'integer', default: 0 },
    rollupId: { type: 'string', nullable: true, length: 40 },
    subject: { type: 'string', nullable: true, length: 100 },
  },
});
