import { z } from 'zod';
import { cents, count, currencyCode, timestamp } from '../response-types';
import { MAX_WHAT_IF_LINES, MAX_WHAT_IF_UNITS } from '../../../domain/what-if-usage';
import { USAGE_TYPE_PATTERN } from '../../../domain/usage';
import { identifierText } from '../../validation/text-fields';
import { upcomingInvoiceResponse } from '../invoices/schemas';

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

export const quotaDenialsQuery = z
  .object({ days: z.coerce.number().int().min(1).max(90).default(30) })
  .strict();

export const quotaDenialsResponse = z.object({
  since: z.string(),
  /** Every day of the range, quiet ones as zero: refused on report_usage, on check-access, in all. */
  days: z.array(z.object({ day: z.string(), report: count, check_access: count, total: count })),
  total: count,
  by_plan: z.record(z.string(), count),
});

export const rollupStatusResponse = z.object({
  as_of: timestamp,
  last_rollup_at: timestamp.nullable(),
  events_not_rolled_up: count,
  oldest_unrolled_event_at: timestamp.nullable(),
  lag_seconds: count,
  rollups_not_in_stripe: count,
  rollups_not_in_lago: count,
  oldest_unreported_rollup_at: timestamp.nullable(),
  /** The rollup workflow's own answer to its status query; `reachable: false` with why when it gave none. */
  workflow: z.union([
    z.object({
      reachable: z.literal(true),
      status: z.string(),
      run_started_at: timestamp,
      cycles: count,
      events: count,
      rollups: count,
      stripe_reported: count,
      lago_reported: count,
      failed_cycles: count,
      last_cycle_at: timestamp.nullable(),
      last_failure_at: timestamp.nullable(),
      last_error: z.string().nullable(),
      error: z.null(),
    }),
    z.object({ reachable: z.literal(false), error: z.string() }),
  ]),
});

export const dunningRunsResponse = z.object({
  /** False when Temporal gave no answer in time; `error` says why and `runs` is empty. */
  reachable: z.boolean(),
  error: z.string().nullable(),
  runs: z.array(
    z.object({
      workflow_id: z.string(),
      started_at: timestamp,
      invoice_id: z.string(),
      email: z.string().nullable(),
      /** The retry the run waits for or makes (1-based), of how many its policy allows; null when the run did not answer its query. */
      attempt: count.nullable(),
      attempts: count.nullable(),
      retries_made: count.nullable(),
      next_attempt_at: timestamp.nullable(),
      suspend_at: timestamp.nullable(),
      suspended: z.boolean().nullable(),
    }),
  ),
});

const whatIfUsage = z
  .object({
    /** A usage type the engine knows. */
    type: z.string().regex(USAGE_TYPE_PATTERN, 'must be a lower-case usage type name'),
    /** Units more than the customer has used this period. */
    units: z.number().int('must be a whole number of units').min(1).max(MAX_WHAT_IF_UNITS),
    /** The model, when the plan's rate card prices this type by model. */
    model: identifierText(200).optional(),
    /** The direction, when the card prices it: a token kind (input, cached, output, reasoning) or its own. */
    direction: identifierText(200).optional(),
  })
  .strict();

export const whatIfBody = z.object({ usage: z.array(whatIfUsage).min(1).max(MAX_WHAT_IF_LINES) }).strict();

export const whatIfResponse = z.object({
  invoice: upcomingInvoiceResponse,
  usage: z.array(whatIfUsage),
  /** The period's usage cost as it stands, in the subscription's currency's minor units. */
  usage_cost_before_cents: cents,
  /** The same with the what-if usage on top (credits first, each line on its period total). */
  usage_cost_after_cents: cents,
  /** What the invoice bills more: the preview's "What if" line, before its discount and tax. */
  extra_cents: cents,
});
