import { z } from 'zod';
import { cents, currencyCode, dollars, timestamp } from '../response-types';

export const invoicesQuery = z
  .object({
    limit: z.coerce.number().int().min(1).max(100).default(10),
    /** The `X-Next-Cursor` of the previous page. */
    cursor: z.string().min(1).max(256).optional(),
  })
  .strict();

export const invoicePdfParams = z
  .object({ stripe_invoice_id: z.string().regex(/^in_[A-Za-z0-9_]{1,120}$/, 'must be a Stripe invoice id') })
  .strict();

export const invoicesResponse = z.array(
  z.object({
    id: z.string(),
    number: z.string().nullable(),
    amount_due: dollars,
    amount_paid: dollars,
    amount_due_cents: cents,
    amount_paid_cents: cents,
    total_cents: cents,
    /** What a coupon took off, already out of total_cents. */
    discount_cents: cents,
    /** Tax Stripe added (Stripe Tax), already in total_cents. */
    tax_cents: cents,
    /** A business with a valid EU VAT id: no tax charged, the customer accounts for it (reverse charge). */
    reverse_charge: z.boolean(),
    currency: currencyCode,
    status: z.string(),
    created: timestamp,
    due_date: timestamp.nullable(),
    paid: z.boolean(),
    paid_at: timestamp.nullable(),
    period_start: timestamp.nullable(),
    period_end: timestamp.nullable(),
    invoice_pdf: z.string().nullable(),
    hosted_invoice_url: z.string().nullable(),
    /** The engine's own PDF route for this invoice, when Stripe has a PDF. */
    pdf_url: z.string().nullable(),
    amount_refunded: dollars,
    amount_credited: dollars,
    /** Refunded on the invoice's charges, in minor units. */
    amount_refunded_cents: cents,
    /**
     * Credited by credit notes (to the customer's balance, or taken off before payment), in minor units;
     * a credit note's part paid back as a refund is in amount_refunded_cents instead.
     */
    amount_credited_cents: cents,
  }),
);

/** The PDF's bytes (Content-Type application/pdf), not JSON. */
export const invoicePdfResponse = z.string().meta({ format: 'binary' });

const upcomingLine = z.object({
  /** plan: the next period's fee; usage: the metered usage so far; proration: a plan change's; one_time. */
  kind: z.enum(['plan', 'usage', 'proration', 'one_time']),
  description: z.string(),
  quantity: z.number().int(),
  amount_cents: cents,
  /** What the coupon takes off this line. */
  discount_cents: cents,
  /** The tax on this line after its discount (Stripe Tax). */
  tax_cents: cents,
  period_start: timestamp,
  period_end: timestamp,
});

export const upcomingInvoiceResponse = z.object({
  currency: currencyCode,
  /** When Stripe issues the invoice and takes the payment. */
  issued_at: timestamp,
  lines: z.array(upcomingLine),
  subtotal_cents: cents,
  discount_cents: cents,
  tax_cents: cents,
  total_cents: cents,
  /** The total less what the customer's credit balance pays: what the card is charged. */
  amount_due_cents: cents,
  amount_due: dollars,
});
