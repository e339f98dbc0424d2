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

export const explainParams = z
  .object({ id: z.string().regex(/^in_[A-Za-z0-9_]{1,120}$/, 'must be a Stripe invoice id') })
  .strict();

export const explainQuery = z
  .object({
    /** json (the default) or csv: a row a line, then a row for each rate-card line a usage line was rated by. */
    format: z.enum(['json', 'csv']).default('json'),
  })
  .strict();

/** An issued line: what the upcoming invoice's lines say, with what bills it, its inputs and the check. */
const explainedLine = upcomingLine.extend({
  /** The plan version whose price the line bills; null for a one-off item. */
  plan: z
    .object({
      name: z.string(),
      interval: z.enum(['month', 'year']),
      currency: currencyCode,
      unit_cents: cents.nullable(),
    })
    .nullable(),
  /** A usage line's rating: each rate-card line's units, the included ones, those priced, and their cents. */
  rated: z
    .array(
      z.object({
        line_key: z.string(),
        units: z.number().int(),
        included_units: z.number().int(),
        priced_units: z.number().int(),
        cents,
      }),
    )
    .nullable(),
  /** The usage a usage line bills: the period's rollups and the events they summed. */
  usage: z
    .object({
      period_start: timestamp,
      rollups: z.number().int(),
      events: z.object({
        count: z.number().int(),
        units: z.number().int(),
        /** Paid ahead by prepaid credits or a seat's pool: reported, not billed on this line. */
        paid_ahead_units: z.number().int(),
        first_at: timestamp.nullable(),
        last_at: timestamp.nullable(),
        /** The first 100 event ids (the reporter's own), in id order. */
        ids: z.array(z.string()),
        /** SHA-256 (hex) of every event id in id order, each followed by a line feed. */
        ids_sha256: z.string(),
      }),
      /** The ledger's draws on prepaid credit grants in the period, per grant: the usage they paid. */
      credit_draws: z.array(
        z.object({
          grant_id: z.string(),
          units: z.number().int(),
          /** The ledger movements, one a UTC day of drawing. */
          movement_ids: z.array(z.string()),
          first_at: timestamp,
          last_at: timestamp,
        }),
      ),
    })
    .nullable(),
  /** A proration's cause: the subscription's plan changes inside the line's period. */
  changes: z.array(
    z.object({
      at: timestamp,
      from_tier: z.string().nullable(),
      to_tier: z.string(),
      from_cents: cents.nullable(),
      to_cents: cents,
    }),
  ),
  /** The line recomputed with the engine's rules from the same inputs; null when not recomputed. */
  recomputed_cents: cents.nullable(),
  /** Whether the recomputation came to the issued amount; null when not recomputed. */
  matches: z.boolean().nullable(),
  not_recomputed_because: z.string().nullable(),
});

export const explainedInvoice = z.object({
  id: z.string(),
  number: z.string().nullable(),
  status: z.string(),
  currency: currencyCode,
  subtotal_cents: cents,
  discount_cents: cents,
  tax_cents: cents,
  total_cents: cents,
  amount_paid_cents: cents,
  period_start: timestamp.nullable(),
  period_end: timestamp.nullable(),
});

export const invoiceExplanationResponse = z.object({
  invoice: explainedInvoice,
  /** Every recomputed line came to the cents issued. */
  all_match: z.boolean(),
  lines: z.array(explainedLine),
});
