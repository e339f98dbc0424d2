import { EntitySchema, type Opt } from '@mikro-orm/core';
import { Charge } from './charge';
import { Customer } from './customer';

/** Mirror of a Stripe refund of a mirrored charge: when money went back, for the revenue figures. */
export class Refund {
  id!: string;
  stripeRefundId!: string;
  charge!: Charge;
  customer!: Customer;
  /** The invoice the refunded charge paid, as Stripe names it. */
  stripeInvoiceId?: string | null;
  amountCents!: number;
  currency: Opt<string> = 'usd';
  /** Stripe's: `pending`, `requires_action`, `succeeded`, `failed` or `canceled`. */
  status!: string;
  reason?: string | null;
  createdAt!: Date;
}

export const RefundSchema = new EntitySchema<Refund>({
  class: Refund,
  tableName: 'refunds',
  indexes: [{ properties: ['createdAt', 'currency'] }],
  properties: {
    id: { type: 'string', primary: true, length: 40 },
    stripeRefundId: { type: 'string', unique: true },
    charge: { kind: 'm:1', entity: () => Charge, index: true },
    customer: { kind: 'm:1', entity: () => Customer, index: true },
    stripeInvoiceId: { type: 'string', nullable: true, index: true },
    amountCents: { type: 'integer' },
    currency: { type: 'string', length: 3 },
    status: { type: 'string', length: 16 },
    reason: { type: 'string', length: 64, nullable: true },
    createdAt: { type: 'Date' },
  },
});
