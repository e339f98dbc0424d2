import { EntitySchema, type Opt } from '@mikro-orm/core';
import { Customer } from './customer';
import { Subscription } from './subscription';

/** Mirror of a Stripe invoice, kept by activities so reads never call Stripe. */
export class Invoice {
  id!: string;
  stripeInvoiceId!: string;
  customer!: Customer;
  subscription?: Subscription | null;
  number?: string | null;
  status!: string;
  currency: Opt<string> = 'usd';
  subtotalCents: Opt<number> = 0;
  totalCents: Opt<number> = 0;
  /** What discounts took off (Stripe's `total_discount_amounts`), before tax. */
  discountCents: Opt<number> = 0;
  /** Tax Stripe added (Σ `total_taxes`), on top of `subtotal − discount`; revenue leaves it out. */
  taxCents: Opt<number> = 0;
  /** Whether the customer self-accounts for the tax (a business with a valid EU VAT id). */
  reverseCharge: Opt<boolean> = false;
  amountDueCents: Opt<number> = 0;
  amountPaidCents: Opt<number> = 0;
  billingReason?: string | null;
  attemptCount: Opt<number> = 0;
  periodStart?: Date | null;
  periodEnd?: Date | null;
  dueDate?: Date | null;
  paidAt?: Date | null;
  hostedInvoiceUrl?: string | null;
  invoicePdf?: string | null;
  createdAt!: Date;
  updatedAt: Opt<Date> = new Date();
}

export const InvoiceSchema = new EntitySchema<Invoice>({
  class: Invoice,
  tableName: 'invoices',
  indexes: [
    // A customer's invoices newest first, page by page (created, then id).
    { properties: ['customer', 'createdAt', 'id'] },
    { properties: ['status'] },
    { properties: ['paidAt', 'currency', 'amountPaidCents', 'taxCents'] },
  ],
  properties: {
    id: { type: 'string', primary: true, length: 40 },
    stripeInvoiceId: { type: 'string', unique: true },
    customer: { kind: 'm:1', entity: () => Customer },
    subscription: { kind: 'm:1', entity: () => Subscription, nullable: true },
    number: { type: 'string', nullable: true },
    status: { type: 'string', length: 16 },
    currency: { type: 'string', length: 3 },
    subtotalCents: { type: 'integer' },
    totalCents: { type: 'integer' },
    discountCents: { type: 'integer', default: 0 },
    taxCents: { type: 'integer', default: 0 },
    reverseCharge: { type: 'boolean', default: false },
    amountDueCents: { type: 'integer' },
    amountPaidCents: { type: 'integer' },
    billingReason: { type: 'string', nullable: true },
    attemptCount: { type: 'integer' },
    periodStart: { type: 'Date', nullable: true },
    periodEnd: { type: 'Date', nullable: true },
    dueDate: { type: 'Date', nullable: true },
    paidAt: { type: 'Date', nullable: true },
    hostedInvoiceUrl: { type: 'text', nullable: true },
    invoicePdf: { type: 'text', nullable: true },
    createdAt: { type: 'Date' },
    updatedAt: { type: 'Date', onUpdate: () => new Date() },
  },
});
