import { EntitySchema, type Opt } from '@mikro-orm/core';
import { Customer } from './customer';

/**
 * Usage aggregated per customer, type and window. `identifier` is stable for that triple, so reporting it
 * again to Stripe Meters (identifier) or Lago (transaction_id) is deduplicated by them.
 */
export class UsageRollup {
  id!: string;
  customer!: Customer;
  type!: string;
  windowStart!: Date;
  windowEnd!: Date;
  quantity!: number;
  /** The rate card line its units were priced by (domain/rate-card.ts lineKey); `*` is the credit pool. */
  lineKey: Opt<string> = '*';
  /** The start of the customer's billing period its events fell in: what the period's cost sums. */
  periodStart?: Date | null;
  identifier!: string;
  stripeReportedAt?: Date | null;
  lagoReportedAt?: Date | null;
  createdAt: Opt<Date> = new Date();
}

export const UsageRollupSchema = new EntitySchema<UsageRollup>({
  class: UsageRollup,
  tableName: 'usage_rollups',
  indexes: [{ properties: ['customer', 'windowStart'] }, { properties: ['customer', 'periodStart'] }],
  properties: {
    id: { type: 'string', primary: true, length: 40 },
    customer: { kind: 'm:1', entity: () => Customer },
    type: { type: 'string', length: 32 },
    windowStart: { type: 'Date' },
    windowEnd: { type: 'Date' },
    quantity: { type: 'integer' },
    lineKey: { type: 'string', default: '*' },
    periodStart: { type: 'Date', nullable: true },
    identifier: { type: 'string', unique: true },
    stripeReportedAt: { type: 'Date', nullable: true },
    lagoReportedAt: { type: 'Date', nullable: true },
    createdAt: { type: 'Date' },
  },
});
