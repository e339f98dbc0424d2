import { EntitySchema, type Opt } from '@mikro-orm/core';
import { Customer } from './customer';
import { Invoice } from './invoice';

/** Mirror of a Stripe charge (a payment attempt and its outcome). */
export class Charge {
  id!: string;
  stripeChargeId!: string;
  customer!: Customer;
  invoice?: Invoice | null;
  /** Stripe's invoice id, kept even before the invoice itself is mirrored (its event may come later). */
  stripeInvoiceId?: string | null;
  amountCents!: number;
  amountRefundedCents: Opt<number> = 0;
  currency: Opt<string> = 'usd';
  status!: string;
  paid: Opt<boolean> = false;
  refunded: Opt<boolean> = false;
  description?: string | null;
  failureCode?: string | null;
  cardBrand?: string | null;
  cardLast4?: string | null;
  /** The cardholder's dispute of this charge, if any (Stripe allows one per charge). */
  stripeDisputeId?: string | null;
  /** Stripe's dispute status: open ones (`needs_response`, `under_review`, `warning_…`) or the outcome. */
  disputeStatus?: string | null;
  disputeReason?: string | null;
  disputedAmountCents: Opt<number> = 0;
  disputedAt?: Date | null;
  createdAt!: Date;
}

export const ChargeSchema = new EntitySchema<Charge>({
  class: Charge,
  tableName: 'charges',
  // Keyset pages order by (created, id): with created alone, rows of one instant are sorted apart on every page.
  indexes: [{ properties: ['createdAt', 'id'] }],
  properties: {
    id: { type: 'string', primary: true, length: 40 },
    stripeChargeId: { type: 'string', unique: true },
    customer: { kind: 'm:1', entity: () => Customer, index: true },
    invoice: { kind: 'm:1', entity: () => Invoice, nullable: true },
    stripeInvoiceId: { type: 'string', nullable: true, index: true },
    amountCents: { type: 'integer' },
    amountRefundedCents: { type: 'integer' },
    currency: { type: 'string', length: 3 },
    status: { type: 'string', length: 16 },
    paid: { type: 'boolean' },
    refunded: { type: 'boolean' },
    // Text, not varchar(255): a payment's description may run to thousands of characters.
    description: { type: 'text', nullable: true },
    failureCode: { type: 'string', nullable: true },
    cardBrand: { type: 'string', length: 32, nullable: true },
    cardLast4: { type: 'string', length: 4, nullable: true },
    stripeDisputeId: { type: 'string', nullable: true },
    disputeStatus: { type: 'string', length: 32, nullable: true },
    disputeReason: { type: 'string', length: 64, nullable: true },
    disputedAmountCents: { type: 'integer' },
    disputedAt: { type: 'Date', nullable: true },
    createdAt: { type: 'Date' },
  },
});
