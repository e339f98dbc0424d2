import { z } from 'zod';
import { idempotencyKeyField } from '../../validation/idempotency-key';
import { explainedInvoice, invoiceExplanationResponse } from '../invoices/schemas';
import { BILLING_CYCLES } from '../../../domain/billing-cycle';
import { CREDIT_NOTE_REASONS } from '../../../domain/credit-notes';
import { SUBSCRIPTION_STATUSES } from '../../../domain/subscription-status';
import { defaultRange, rangeProblem } from '../../../domain/revenue-periods';
import {
  cents,
  count,
  currencyCode,
  dollars,
  interval,
  page,
  subscriptionStatus,
  timestamp,
} from '../response-types';

const currency = z
  .string()
  .regex(/^[a-z]{3}$/, 'must be a lowercase ISO 4217 code')
  .default('usd');
const cursor = z.string().min(1).max(512).optional();
const limit = (byDefault: number) => z.coerce.number().int().min(1).max(200).default(byDefault);
// A real calendar date (no 2026-02-30), from year 2000 on: nothing was billed before.
const isoDate = z.iso
  .date({ message: 'must be a date as YYYY-MM-DD' })
  .refine((d) => d >= '2000-01-01', { message: 'must be 2000-01-01 or later' });

export const statsQuery = z.object({ currency }).strict();

export const revenueQuery = z
  .object({
    month: z
      .string()
      .regex(/^\d{4}-(0[1-9]|1[0-2])$/, 'must be YYYY-MM')
      .optional(),
    currency,
  })
  .strict();

export const timeseriesQuery = z
  .object({
    /** Default: 30 days (or 12 months) before `to`. */
    from: isoDate.optional(),
    /** Default: today (UTC). Inclusive. */
    to: isoDate.optional(),
    interval: z.enum(['day', 'month']).default('day'),
    currency,
  })
  .strict()
  .superRefine((q, ctx) => {
    // Only a range whose dates parsed: a malformed one has its own issue already.
    const day = /^\d{4}-\d{2}-\d{2}$/;
    if ((q.from !== undefined && !day.test(q.from)) || (q.to !== undefined && !day.test(q.to))) return;
    const problem = rangeProblem({ ...defaultRange(q, new Date()), interval: q.interval });
    if (problem) ctx.addIssue({ code: 'custom', path: ['to'], message: problem });
  });

/** The same range and interval as the timeseries. */
export const movementsQuery = timeseriesQuery;

export const customersQuery = z
  .object({
    limit: limit(100),
    cursor,
    sort: z.enum(['created', '-created', 'email', '-email']).default('-created'),
    /** Part of the email, any case. */
    email: z.string().min(1).max(254).optional(),
    /** Part of the email, or exactly a Stripe customer id, a Stripe subscription id or a customer id. */
    q: z.string().trim().min(1).max(254).optional(),
    /** The plan code of the customer's live subscription (its newest that has not ended). */
    tier: z.string().min(1).max(64).optional(),
    /**
     * The status of that live subscription; `none`: no live subscription; `canceled` or `expired`: no live
     * subscription and the newest one ended so.
     */
    status: z.enum([...SUBSCRIPTION_STATUSES, 'none']).optional(),
  })
  .strict();

/** The customer list's filter and sort, without paging: the export walks every page itself. */
export const customersExportQuery = customersQuery.omit({ limit: true, cursor: true });

export const subscriptionsQuery = z
  .object({
    limit: limit(100),
    cursor,
    sort: z.enum(['created', '-created', 'amount', '-amount']).default('-created'),
    /** One status or several, comma-separated (`active,past_due`). */
    status: z
      .string()
      .transform((v) => v.split(',').map((s) => s.trim()))
      .pipe(z.array(z.enum(SUBSCRIPTION_STATUSES)).min(1))
      .optional(),
    tier: z.string().max(64).optional(),
    email: z.string().min(1).max(254).optional(),
  })
  .strict();

export const chargesQuery = z
  .object({ limit: limit(20), cursor, status: z.enum(['succeeded', 'pending', 'failed']).optional() })
  .strict();

export const emailParams = z.object({ email: z.email() }).strict();

export const subscriptionPatchBody = z
  .object({
    tier: z
      .string()
      .regex(/^[a-z0-9][a-z0-9_-]{0,63}$/, 'must be a plan code such as "professional"')
      .optional(),
    billing_cycle: z.enum(BILLING_CYCLES).optional(),
    /** Default: upgrades now (prorated), downgrades at period end. */
    when: z.enum(['now', 'period_end']).optional(),
    status: z.enum(['active', 'paused', 'canceled']).optional(),
    /** For `status: canceled`: at the end of the paid period (default) or at once. */
    cancel_at_period_end: z.boolean().default(true),
    /** Kept in the audit log. */
    reason: z.string().max(500).optional(),
  })
  .strict()
  .refine((b) => b.tier !== undefined || b.status !== undefined, {
    message: 'give a tier, a status, or both',
    path: ['tier'],
  });

// Responses.

const moneyFigure = (name: string) => ({ [name]: dollars, [`${name}_cents`]: cents });

export const statsResponse = z.object({
  total_customers: count,
  active_subscriptions: count,
  trial_subscriptions: count,
  ...moneyFigure('monthly_revenue'),
  tier_breakdown: z.record(
    z.string(),
    z.object({ count, revenue: dollars, revenue_cents: cents, paying: count, trialing: count }),
  ),
  currency: currencyCode,
});

const customerRow = z.object({
  id: z.string(),
  customer_id: z.string(),
  stripe_customer_id: z.string().nullable(),
  email: z.string(),
  name: z.string().nullable(),
  created: timestamp,
  metadata: z.object({ user_id: z.string(), tier: z.string().nullable() }),
  subscription_status: subscriptionStatus.nullable(),
});
export const customersResponse = z.object({ customers: z.array(customerRow), ...page });

export const adminSubscription = z.object({
  id: z.string(),
  subscription_id: z.string(),
  stripe_subscription_id: z.string().nullable(),
  customer: z.string(),
  customer_id: z.string(),
  email: z.string(),
  tier: z.string(),
  status: subscriptionStatus,
  amount: dollars,
  amount_cents: cents,
  mrr_cents: cents,
  currency: currencyCode,
  interval,
  current_period_start: timestamp.nullable(),
  current_period_end: timestamp.nullable(),
  trial_end: timestamp.nullable(),
  cancel_at_period_end: z.boolean(),
  canceled_at: timestamp.nullable(),
  created: timestamp,
});
export const subscriptionsResponse = z.object({ subscriptions: z.array(adminSubscription), ...page });

const chargeRow = z.object({
  id: z.string(),
  amount: dollars,
  amount_cents: cents,
  amount_refunded_cents: cents,
  currency: currencyCode,
  status: z.string(),
  customer: z.string(),
  customer_email: z.string(),
  description: z.string().nullable(),
  failure_code: z.string().nullable(),
  created: timestamp,
  paid: z.boolean(),
  refunded: z.boolean(),
  card_brand: z.string().nullable(),
  card_last4: z.string().nullable(),
  /** Stripe's invoice id, when the charge paid one the engine mirrors. */
  invoice: z.string().nullable(),
  /** The cardholder disputed the charge. */
  disputed: z.boolean(),
  /** Stripe's dispute status (`needs_response`, `under_review`, `won`, `lost`, `warning_…`). */
  dispute_status: z.string().nullable(),
  disputed_amount_cents: cents,
  /** Once the dispute ended: `won` (the money stays) or `lost` (it went back to the cardholder). */
  dispute_outcome: z.enum(['won', 'lost']).nullable(),
  dispute_reason: z.string().nullable(),
});
export const chargesResponse = z.object({ charges: z.array(chargeRow), ...page });

const movement = z.object({ ...moneyFigure('mrr'), customers: count });
export const revenueResponse = z.object({
  mrr: dollars,
  arr: dollars,
  churn_rate: z.number().min(0),
  churn_percentage: z.number().min(0),
  active_subscriptions: count,
  recent_revenue_30d: dollars,
  arpu: dollars,
  mrr_cents: cents,
  arr_cents: cents,
  arpu_cents: cents,
  recent_revenue_30d_cents: cents,
  /** Refunds made in the last 30 days (whenever the charge was), except failed or canceled ones. */
  ...moneyFigure('refunds_30d'),
  /** Credit notes after payment in the last 30 days, less their parts paid back as refunds. */
  ...moneyFigure('credit_notes_30d'),
  /** recent_revenue_30d less refunds_30d and credit_notes_30d; negative when more went back than came in. */
  ...moneyFigure('net_revenue_30d'),
  /** What coupons took off the invoices paid in the last 30 days (already out of recent_revenue_30d). */
  ...moneyFigure('discounts_30d'),
  paying_customers: count,
  churned_subscriptions_30d: count,
  active_subscriptions_30d_ago: count,
  net_revenue_retention: z.number().nullable(),
  movements: z.object({
    month: z.string().regex(/^\d{4}-\d{2}$/),
    from: timestamp,
    to: timestamp,
    ...moneyFigure('starting_mrr'),
    ...moneyFigure('ending_mrr'),
    new: movement,
    expansion: movement,
    contraction: movement,
    churned: movement,
    reactivated: movement,
    net_new_mrr_cents: cents,
    net_revenue_retention: z.number().nullable(),
  }),
  /** Money collected in ?month (up to now for this month), what went back in it, and net revenue. */
  collected: z.object({
    month: z.string().regex(/^\d{4}-\d{2}$/),
    from: timestamp,
    to: timestamp,
    ...moneyFigure('gross'),
    ...moneyFigure('refunds'),
    ...moneyFigure('credit_notes'),
    ...moneyFigure('net_revenue'),
    /** What coupons took off the invoices paid in it: the discounts' cost in the month. */
    ...moneyFigure('discounts'),
  }),
  currency: currencyCode,
  /** Every currency the book's subscriptions are in, sorted: the other values `currency` can take. */
  currencies: z.array(currencyCode),
  as_of: timestamp,
});

/** A chart's range and currency, and each point's period: what the timeseries and movements share. */
const seriesRange = {
  interval: z.enum(['day', 'month']),
  from: z.string(),
  to: z.string(),
  currency: currencyCode,
};
const seriesPeriod = { period: z.string(), start: timestamp, end: timestamp };

export const timeseriesResponse = z.object({
  ...seriesRange,
  points: z.array(
    z.object({
      ...seriesPeriod,
      ...moneyFigure('mrr'),
      active_subscriptions: count,
      new_subscriptions: count,
      churned_subscriptions: count,
      churned_mrr_cents: cents,
      churn_rate: z.number().min(0),
      /** Invoices paid in the period (gross collected). */
      collected_cents: cents,
      /** Refunds made in the period, except failed or canceled ones. */
      refunds_cents: cents,
      /** Credit notes after payment issued in the period, less their parts paid back as refunds. */
      credit_notes_cents: cents,
      /** collected less refunds and credit notes. */
      net_revenue_cents: cents,
    }),
  ),
});

const periodMovement = z.object({ mrr_cents: cents, customers: count });
export const movementsResponse = z.object({
  ...seriesRange,
  points: z.array(
    z.object({
      ...seriesPeriod,
      /** MRR at the period's start and end, from the subscription history. */
      starting_mrr_cents: cents,
      ending_mrr_cents: cents,
      /** Customers from 0 MRR to more, who had never paid before the period. */
      new: periodMovement,
      /** Customers whose MRR grew (an upgrade, another subscription). */
      expansion: periodMovement,
      /** Customers whose MRR shrank but stayed above 0. */
      contraction: periodMovement,
      /** Customers whose MRR went to 0. */
      churned: periodMovement,
      /** Customers from 0 MRR to more, who had paid before the period. */
      reactivated: periodMovement,
      /** ending_mrr_cents − starting_mrr_cents. */
      net_new_mrr_cents: cents,
    }),
  ),
});

export const overviewResponse = z.object({
  total_subscriptions: count,
  by_status: z.record(z.string(), count),
  active_subscriptions: count,
  trial_subscriptions: count,
  past_due_subscriptions: count,
  canceled_subscriptions: count,
  pending_cancellations: count,
  paying_customers: count,
  ...moneyFigure('mrr'),
  ...moneyFigure('arr'),
  ...moneyFigure('arpu'),
  churn_rate: z.number().min(0),
  currency: currencyCode,
});

export const revenueByTierResponse = z.object({
  tiers: z.array(
    z.object({
      tier: z.string(),
      paying_subscriptions: count,
      trialing_subscriptions: count,
      ...moneyFigure('mrr'),
      ...moneyFigure('arr'),
      share_of_mrr: z.number().min(0).max(1),
    }),
  ),
  ...moneyFigure('total_mrr'),
  currency: currencyCode,
});

export const subscriptionByEmailResponse = adminSubscription.extend({
  customer_name: z.string().nullable(),
  user_id: z.string(),
  /** The billing address Stripe Tax taxes by; null until Checkout collected one. */
  billing_address: z
    .object({
      country: z.string().nullable(),
      line1: z.string().nullable(),
      line2: z.string().nullable(),
      city: z.string().nullable(),
      postal_code: z.string().nullable(),
      state: z.string().nullable(),
    })
    .nullable(),
  /** Tax ids the customer gave (an EU VAT number…). */
  tax_ids: z.array(z.object({ type: z.string(), value: z.string() })),
  workflow_id: z.string(),
  /** The subscription's workflow in the Temporal Web UI; null when TEMPORAL_UI_URL is not set. */
  workflow_url: z.string().nullable(),
  history: z.array(
    z.object({
      subscription_id: z.string(),
      tier: z.string(),
      status: subscriptionStatus,
      amount_cents: cents,
      interval,
      created: timestamp,
      ended_at: timestamp.nullable(),
    }),
  ),
  changes: z.array(
    z.object({
      subscription_id: z.string(),
      at: timestamp,
      old_tier: z.string().nullable(),
      new_tier: z.string(),
      old_status: subscriptionStatus.nullable(),
      new_status: subscriptionStatus,
      old_amount_cents: cents.nullable(),
      new_amount_cents: cents,
      old_interval: interval.nullable(),
      new_interval: interval,
    }),
  ),
  recent_invoices: z.array(
    z.object({
      id: z.string(),
      status: z.string(),
      amount_due_cents: cents,
      amount_paid_cents: cents,
      tax_cents: cents,
      reverse_charge: z.boolean(),
      created: timestamp,
    }),
  ),
});

export const planChangePreviewQuery = z
  .object({
    tier_id: z.string().regex(/^[a-z0-9][a-z0-9_-]{0,63}$/, 'must be a plan code such as "professional"'),
    billing_cycle: z.enum(BILLING_CYCLES).optional(),
    when: z.enum(['now', 'period_end']).optional(),
  })
  .strict();

export const planChangePreviewResponse = z.object({
  preview: z.literal(true),
  when: z.enum(['now', 'period_end']),
  new_tier: z.string(),
  credit_cents: cents,
  charge_cents: cents,
  /** What the subscription's coupon takes off the credit and the charge, out of amount_due_now already. */
  discount_cents: cents,
  amount_due_now_cents: cents.nonnegative(),
  amount_due_now: dollars.nonnegative(),
  next_amount_cents: cents,
});

export const subscriptionPatchResponse = z.object({
  success: z.literal(true),
  subscription_id: z.string(),
  email: z.string(),
  /** Each step the workflow applied, with the workflow's own answer to it. */
  applied: z.array(z.object({ action: z.string(), result: z.unknown() })),
});

export const invoiceParams = z.object({
  id: z.string().regex(/^[A-Za-z0-9_]{1,80}$/, "must be an invoice id (the engine's inv_… or Stripe's in_…)"),
});

export const refundBody = z
  .object({
    /** Omitted: whatever is left to refund on the invoice's charge. */
    amount_cents: z.number().int().positive().max(100_000_000).optional(),
    /** Kept in the audit log and the refund's metadata; Stripe's own reasons are passed on as such. */
    reason: z.string().trim().min(1).max(500),
    /** Or the `Idempotency-Key` header. */
    idempotency_key: idempotencyKeyField.optional(),
  })
  .strict();

export const refundResponse = z.object({
  refund_id: z.string(),
  invoice: z.string(),
  charge: z.string(),
  amount_cents: cents,
  currency: currencyCode,
  charge_amount_cents: cents,
  amount_refunded_cents: cents,
  refunded: z.boolean(),
  idempotency_key: z.string(),
});
export const creditNoteBody = z
  .object({
    /** Omitted: whatever is left to credit (what was paid less refunds and earlier credit notes). */
    amount_cents: z.number().int().positive().max(100_000_000).optional(),
    /** Stripe's reasons for a credit note; kept in the audit log. */
    reason: z.enum(CREDIT_NOTE_REASONS),
    /** Shown on the credit note; kept in the audit log. */
    memo: z.string().trim().min(1).max(500).optional(),
    /** Or the `Idempotency-Key` header. */
    idempotency_key: idempotencyKeyField.optional(),
  })
  .strict();

export const creditNoteResponse = z.object({
  credit_note_id: z.string(),
  number: z.string().nullable(),
  invoice: z.string(),
  amount_cents: cents,
  currency: currencyCode,
  reason: z.enum(CREDIT_NOTE_REASONS).nullable(),
  memo: z.string().nullable(),
  /** `post_payment`: a paid invoice, credited to the customer's balance; `pre_payment`: less to pay. */
  type: z.enum(['pre_payment', 'post_payment']),
  invoice_amount_paid_cents: cents,
  /** Every credit note of the invoice not voided, less what they paid back as refunds. */
  amount_credited_cents: cents,
  /** Refunded on the invoice's charge. */
  amount_refunded_cents: cents,
  /** What a further credit note could still give back. */
  amount_left_cents: cents,
  idempotency_key: z.string(),
});

export const adminExplainQuery = z
  .object({
    /** json (the default), csv (the customer's CSV), or zip: a dispute's evidence pack (JSON, CSV, every event). */
    format: z.enum(['json', 'csv', 'zip']).default('json'),
  })
  .strict();

const adminExplainedLine = invoiceExplanationResponse.shape.lines.element.extend({
  stripe_line_id: z.string(),
  stripe_price_id: z.string().nullable(),
  stripe_subscription_item_id: z.string().nullable(),
  stripe_invoice_item_id: z.string().nullable(),
  plan_id: z.string().nullable(),
  /**
   * A usage line's cost to the platform, at the model cost catalogue's rates of each event's day, beside
   * its price (docs/margins.md): in all, the margin it left, and per rate card line. Null for other lines
   * and for an invoice in another currency than the catalogue's.
   */
  cost: z
    .object({
      cost_cents: cents,
      margin_cents: z.number().int(),
      uncosted_units: z.number().int(),
      byok_units: z.number().int(),
      lines: z.array(z.object({ key: z.string(), cost_cents: cents })),
    })
    .nullable(),
  /** A usage line's rollups: each window's units and the meter event identifier its period's cost went under. */
  rollups: z
    .array(
      z.object({
        id: z.string(),
        type: z.string(),
        line_key: z.string(),
        window_start: timestamp,
        window_end: timestamp,
        units: z.number().int(),
        meter_event_identifier: z.string(),
        stripe_reported_at: timestamp.nullable(),
      }),
    )
    .nullable(),
});

export const adminInvoiceExplanationResponse = z.object({
  invoice: explainedInvoice.extend({ engine_id: z.string() }),
  customer: z.object({ id: z.string(), email: z.string() }),
  subscription_id: z.string().nullable(),
  all_match: z.boolean(),
  lines: z.array(adminExplainedLine),
  stripe: z.object({
    /** The invoice in Stripe's dashboard. */
    invoice_url: z.string(),
    payment_intent_id: z.string().nullable(),
    payment_intent_url: z.string().nullable(),
    charges: z.array(
      z.object({ id: z.string(), amount_cents: cents, refunded_cents: cents, status: z.string() }),
    ),
  }),
  /**
   * The workflows whose work the invoice bills: each one's run that did it (the subscription's run open
   * when Stripe issued the invoice, the rollup's when it reported the usage; null when Temporal no longer
   * lists it) and its page in the Temporal UI when configured.
   */
  workflows: z.array(
    z.object({
      role: z.enum(['subscription', 'usage_rollup']),
      id: z.string(),
      run_id: z.string().nullable(),
      temporal_ui_url: z.string().nullable(),
    }),
  ),
});
