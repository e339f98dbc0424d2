import { z } from 'zod';
import { cents, count } from '../response-types';

export const usageRevenueQuery = z
  .object({
    month: z
      .string()
      .regex(/^\d{4}-(0[1-9]|1[0-2])$/, 'must be YYYY-MM')
      .optional(),
    currency: z
      .string()
      .regex(/^[a-z]{3}$/, 'must be a lowercase ISO 4217 code')
      .default('usd'),
  })
  .strict();

export const usageRevenueResponse = z.object({
  month: z.string(),
  currency: z.string(),
  /** Per line of the rate cards (`*` is the plans' credit pools), most billed first. */
  lines: z.array(
    z.object({
      key: z.string(),
      usage_type: z.string(),
      match: z.record(z.string(), z.string()),
      byok: z.boolean(),
      /** Units beyond what credits paid, over every customer. */
      units: count,
      /** Of those, what the lines' included units covered. */
      included_used: count,
      cost_cents: cents,
      customers: count,
    }),
  ),
  total_cents: cents,
});

export const commitmentRevenueQuery = usageRevenueQuery;

export const commitmentRevenueResponse = z.object({
  month: z.string(),
  currency: z.string(),
  /** The commitments live now, and what they promise a month (a yearly minimum counts a twelfth). */
  live: z.object({ commitments: count, monthly_minimum_cents: cents }),
  /** The periods that ended in the month: committed (minimums) against consumed, and the true-ups. */
  settled: z.object({
    periods: count,
    /** Periods billed less than their minimum. */
    short: count,
    minimum_cents: cents,
    consumed_cents: cents,
    true_up_cents: cents,
  }),
  periods: z.array(
    z.object({
      email: z.string().nullable(),
      period_start: z.string(),
      period_end: z.string(),
      minimum_cents: cents,
      consumed_cents: cents,
      true_up_cents: cents,
      invoice_id: z.string().nullable(),
    }),
  ),
  /** Prepaid commits: paid up front, drawn by invoices over their term, then expired or rolled over. */
  prepaid: z.object({
    /** Those in their term now, and what was paid for them. */
    live: z.object({ commits: count, amount_cents: cents }),
    /** Those whose term ended in the month: paid up front against drawn, expired and rolled over. */
    settled: z.object({
      commits: count,
      amount_cents: cents,
      drawn_cents: cents,
      expired_cents: cents,
      rolled_over_cents: cents,
    }),
    commits: z.array(
      z.object({
        email: z.string().nullable(),
        commit_id: z.string(),
        amount_cents: cents,
        term_ends_at: z.string(),
        drawn_cents: cents,
        expired_cents: cents,
        rolled_over_cents: cents,
      }),
    ),
  }),
});
