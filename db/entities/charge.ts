import { EntitySchema, type Opt } from '@mikro-orm/core';
import { Customer } from './customer';
import { Invoice } from './invoice';

/** Mirror of a Stripe charge (a payment attempt and its outcome). */
export class Charge {
  id!: string;
  stripeChargeId!: string;
  customer!: Customer;
  invoice?: Invoice | null;
  amountCents!: number;
  amountRefundedCents: Opt<number> = 0;
  currency: Opt<string> = 'usd';
  status!: string;
  paid: Opt<boolean> = false;
  refunded: Opt<boolean> = false;
  description?: string | null;
  failureCode?: string | null;
  createdAt!: Date;
}

export const ChargeSchema = new EntitySchema<Charge>({
  class: Charge,
  tableName: 'charges',
  indexes: [{ properties: ['createdAt'] }],
  properties: {
    id: { type: 'string', primary: true, length: 40 },
    stripeChargeId: { type: 'string', unique: true },
    customer: { kind: 'm:1', entity: () => Customer, index: true },
    invoice: { kind: 'm:1', entity: () => Invoice, nullable: true },
    amountCents: { type: 'integer' },
    amountRefundedCents: { type: 'integer' },
    currency: { type: 'string', length: 3 },
    status: { type: 'string', length: 16 },
    paid: { type: 'boolean' },
    refunded: { type: 'boolean' },
    description: { type: 'string', nullable: true },
    failureCode: { type: 'string', nullable: true },
    createdAt: { type: 'datetime' },
  },
});
