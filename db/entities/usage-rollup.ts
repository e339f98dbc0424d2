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
  identifier!: string;
  stripeReportedAt?: Date | null;
  lagoReportedAt?: Date | null;
  createdAt: Opt<Date> = new Date();
}

export const UsageRollupSchema = new EntitySchema<UsageRollup>({
  class: UsageRollup,
  tableName: 'usage_rollups',
  indexes: [{ properties: ['customer', 'windowStart'] }],
  properties: {
    id: { type: 'string', primary: true, length: 40 },
    customer: { kind: 'm:1', entity: () => Customer },
    type: { type: 'string', length: 32 },
    windowStart: { type: 'datetime' },
    windowEnd: { type: 'datetime' },
    quantity: { type: 'integer' },
    identifier: { type: 'string', unique: true },
    stripeReportedAt: { type: 'datetime', nullable: true },
    lagoReportedAt: { type: 'datetime', nullable: true },
    createdAt: { type: 'datetime' },
  },
});
