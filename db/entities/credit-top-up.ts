import { EntitySchema, type Opt } from '@mikro-orm/core';

export type TopUpStatus = 'pending' | 'succeeded' | 'declined' | 'failed';

/**
 * One crossing of a customer's auto top-up threshold, written by the top-up workflow's first try: the
 * workflow is named after `crossingKey` and charges with it (and the try) as the idempotency key, so a
 * crossing is charged once whoever starts the workflow, and however often. The row keeps the pack of the
 * first try, so a try repeated after a crash asks Stripe exactly what it asked before.
 */
export class CreditTopUp {
  id!: string;
  customerId!: string;
  crossingKey!: string;
  packId!: string;
  threshold!: number;
  balanceAtCrossing!: number;
  status: Opt<TopUpStatus> = 'pending';
  attempts: Opt<number> = 0;
  paymentIntentId?: string | null;
  grantId?: string | null;
  error?: string | null;
  createdAt: Opt<Date> = new Date();
  updatedAt: Opt<Date> = new Date();
}

export const CreditTopUpSchema = new EntitySchema<CreditTopUp>({
  class: CreditTopUp,
  tableName: 'credit_top_ups',
  indexes: [{ properties: ['status', 'createdAt'] }, { properties: ['customerId', 'createdAt'] }],
  properties: {
    id: { type: 'string', primary: true, length: 40 },
    customerId: { type: 'string', length: 40 },
    crossingKey: { type: 'string', length: 200, unique: true },
    packId: { type: 'string', length: 40 },
    threshold: { type: 'integer' },
    balanceAtCrossing: { type: 'integer' },
    status: { type: 'string', length: 16, default: 'pending' },
    attempts: { type: 'integer', default: 0 },
    paymentIntentId: { type: 'string', length: 100, nullable: true },
    grantId: { type: 'string', length: 40, nullable: true },
    error: { type: 'text', nullable: true },
    createdAt: { type: 'Date' },
    updatedAt: { type: 'Date', onUpdate: () => new Date() },
  },
});
