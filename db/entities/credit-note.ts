import { EntitySchema, type Opt } from '@mikro-orm/core';
import { Customer } from './customer';
import { Invoice } from './invoice';

/** Mirror of a Stripe credit note: money given back on an invoice without (or beside) a refund. */
export class CreditNote {
  id!: string;
  stripeCreditNoteId!: string;
  customer!: Customer;
  invoice?: Invoice | null;
  /** Stripe's invoice id, kept even before the invoice itself is mirrored (its event may come later). */
  stripeInvoiceId!: string;
  number?: string | null;
  /** The whole credit note. */
  amountCents!: number;
  /**
   * The part of it Stripe paid back as refunds on the invoice's charge: already counted in the charge's
   * refunded amount, so sums of money given back add `creditedCents`, never `amountCents`.
   */
  refundedCents: Opt<number> = 0;
  /** The rest: credit to the customer's balance, paid out of band, or (before payment) less to pay. */
  creditedCents!: number;
  currency: Opt<string> = 'usd';
  /** `pre_payment` lowered what an open invoice asked for; `post_payment` gave back on a paid one. */
  type!: string;
  /** `issued` or `void`. */
  status!: string;
  reason?: string | null;
  memo?: string | null;
  createdAt!: Date;
  voidedAt?: Date | null;
}

export const CreditNoteSchema = new EntitySchema<CreditNote>({
  class: CreditNote,
  tableName: 'credit_notes',
  indexes: [{ properties: ['createdAt', 'currency'] }],
  properties: {
    id: { type: 'string', primary: true, length: 40 },
    stripeCreditNoteId: { type: 'string', unique: true },
    customer: { kind: 'm:1', entity: () => Customer, index: true },
    invoice: { kind: 'm:1', entity: () => Invoice, nullable: true },
    stripeInvoiceId: { type: 'string', index: true },
    number: { type: 'string', nullable: true },
    amountCents: { type: 'integer' },
    refundedCents: { type: 'integer' },
    creditedCents: { type: 'integer' },
    currency: { type: 'string', length: 3 },
    type: { type: 'string', length: 16 },
    status: { type: 'string', length: 16 },
    reason: { type: 'string', length: 32, nullable: true },
    memo: { type: 'text', nullable: true },
    createdAt: { type: 'Date' },
    voidedAt: { type: 'Date', nullable: true },
  },
});
