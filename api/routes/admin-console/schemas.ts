import { z } from 'zod';
import { cents, count, currencyCode, timestamp } from '../response-types';

export const customerParams = z.object({ email: z.email() }).strict();

export const customerInvoicesQuery = z
  .object({
    limit: z.coerce.number().int().min(1).max(100).default(12),
    cursor: z.string().min(1).max(512).optional(),
  })
  .strict();

export const customerInvoicesResponse = z.object({
  email: z.string(),
  invoices: z.array(
    z.object({
      id: z.string(),
      number: z.string().nullable(),
      status: z.string(),
      currency: currencyCode,
      created: timestamp,
      paid_at: timestamp.nullable(),
      amount_due_cents: cents,
      amount_paid_cents: cents,
      amount_refunded_cents: cents,
      amount_credited_cents: cents,
      /** Left to refund: what is left to credit of a paid invoice, at most what its charges still hold. */
      refundable_cents: cents.nonnegative(),
      /** Left to credit: what was paid (or, open, is due) less refunds and credit notes. */
      creditable_cents: cents.nonnegative(),
      hosted_invoice_url: z.string().nullable(),
      charges: z.array(
        z.object({
          id: z.string(),
          status: z.string(),
          amount_cents: cents,
          amount_refunded_cents: cents,
          refunded: z.boolean(),
          /** Brand and last four digits only. */
          card: z.string().nullable(),
          failure_code: z.string().nullable(),
          dispute_status: z.string().nullable(),
          created: timestamp,
        }),
      ),
    }),
  ),
  next_cursor: z.string().nullable(),
});

const byType = z.record(z.string(), count);

export const customerUsageResponse = z.object({
  email: z.string(),
  tier: z.string().nullable(),
  period_start: timestamp,
  period_end: timestamp,
  types: z.array(z.string()),
  /** Each day of the period so far, with a count per type (the names in `types`) and the day's total. */
  by_day: z.array(z.object({ day: z.string(), total: count }).catchall(count)),
  billable_by_type: byType,
  byok_by_type: byType,
  used: count,
  included_credits: count,
  remaining: count,
  overage: count,
  overage_cost_cents: cents,
  currency: currencyCode,
});

export const customerKeysResponse = z.object({
  email: z.string(),
  keys: z.array(
    z.object({
      provider: z.string(),
      provider_name: z.string(),
      /** The key's last characters: the only part of a key any answer holds. */
      key_hint: z.string(),
      created_at: timestamp,
      updated_at: timestamp,
      last_tested_at: timestamp.nullable(),
      last_test_result: z.string().nullable(),
    }),
  ),
});
