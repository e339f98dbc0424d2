import { z } from 'zod';
import { cents, count } from '../response-types';
import { MODEL_PATTERN } from '../../../domain/model-costs/costs';

export const marginsQuery = z
  .object({
    month: z
      .string()
      .regex(/^\d{4}-(0[1-9]|1[0-2])$/, 'must be YYYY-MM')
      .optional(),
    /** Customers listed, worst margin first (the totals and plans count every one). */
    limit: z.coerce.number().int().min(1).max(1000).default(100),
  })
  .strict();

const rateText = z
  .string()
  .regex(/^(0|[1-9]\d{0,7})(\.\d{1,6})?$/, 'must be cents per million tokens: a decimal of at most 6 places');

const tokens = z.object({ input: count, cached: count, output: count, reasoning: count });
const rates = z.object({ input: z.string(), cached: z.string(), output: z.string(), reasoning: z.string() });

const figures = {
  revenue_cents: cents,
  cost_cents: cents,
  margin_cents: cents,
  /** Margin as a share of revenue, in percent to one decimal; null without revenue. */
  margin_percent: z.number().nullable(),
};

export const marginsResponse = z.object({
  month: z.string(),
  /**
   * The revenue reports' currency: costs and each customer's billing converted into it at the admin's
   * exchange rates (the catalogue's currency, USD, unless set).
   */
  currency: z.string(),
  /** Customers left out: billed in a currency with no exchange rate. */
  other_currency_customers: count,
  /** The currencies without a rate that left customers out. */
  missing_rates: z.array(z.string()),
  totals: z.object({ ...figures, uncosted_units: count, byok_units: count }),
  /** What each model's usage was billed against what it cost; worst margin first. */
  models: z.array(
    z.object({
      model: z.string(),
      provider: z.string().nullable(),
      tokens,
      /** Hosted units not costed: no model, a model without a rate, or units of no token kind. */
      uncosted_units: count,
      /** Units served on the customers' own keys: no provider cost. */
      byok_units: count,
      customers: count,
      ...figures,
    }),
  ),
  plans: z.array(z.object({ plan: z.string().nullable(), customers: count, ...figures })),
  customers: z.array(
    z.object({
      email: z.string(),
      plan: z.string().nullable(),
      invoices: count,
      usage_revenue_cents: cents,
      ...figures,
    }),
  ),
  /** Customers with revenue or cost in the month; `customers` lists the first `limit`. */
  customer_count: count,
});

const rateRow = z.object({
  model: z.string(),
  provider: z.string(),
  valid_from: z.string(),
  /** Cents per million tokens by kind. */
  rates,
  source: z.enum(['catalogue', 'override']),
  reason: z.string().nullable(),
});

export const modelCostsResponse = z.object({
  today: z.string(),
  currency: z.string(),
  /** The least margin, in percent of the price, a rate card may sell a model's tokens at. */
  margin_floor_percent: z.number(),
  models: z.array(
    z.object({
      model: z.string(),
      /** The rate in force today; null for a model whose first rate is still to come. */
      current: rateRow.nullable(),
      scheduled: z.array(rateRow),
    }),
  ),
  /** Every row, the catalogue's and the overrides, oldest first per model. */
  history: z.array(rateRow),
});

export const modelCostOverrideBody = z
  .object({
    model: z.string().regex(MODEL_PATTERN, 'must be 1 to 100 letters, digits or ._:/@+- characters'),
    provider: z
      .string()
      .regex(MODEL_PATTERN, 'must be 1 to 100 letters, digits or ._:/@+- characters')
      .optional(),
    /** The UTC day it takes effect (tomorrow unless later). */
    valid_from: z.iso.date().optional(),
    input: rateText,
    output: rateText,
    cached: rateText.optional(),
    reasoning: rateText.optional(),
    reason: z.string().trim().min(1, 'must say why').max(500),
  })
  .strict();

export const marginFloorBody = z
  .object({
    /** Percent of the price, 0 (never below cost) to 95, to one decimal place. */
    percent: z
      .number()
      .min(0)
      .max(95)
      .refine((p) => Math.round(p * 10) === p * 10, 'must have at most one decimal place'),
  })
  .strict();
