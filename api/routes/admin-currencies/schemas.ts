import { z } from 'zod';

const code = z.string().regex(/^[a-z]{3}$/, 'must be a lower-case ISO 4217 currency code');

export const exchangeRatesBody = z
  .object({
    /** The currency revenue across currencies is reported in. */
    reporting_currency: code,
    /** What one unit of each other currency is worth in it, as decimal text ("1.0832") or a number. */
    rates: z
      .record(code, z.union([z.string().max(32), z.number()]))
      .refine((r) => Object.keys(r).length <= 20, 'at most 20 currencies'),
  })
  .strict()
  .meta({ default: { reporting_currency: 'usd', rates: { eur: '1.08' } } });

export const reportQuery = z
  .object({
    month: z
      .string()
      .regex(/^\d{4}-(0[1-9]|1[0-2])$/, 'must be YYYY-MM')
      .optional(),
  })
  .strict();

export const exchangeRatesResponse = z.object({
  reporting_currency: z.string(),
  rates: z.record(z.string(), z.string()),
  /** Every currency prices can be set in. */
  currencies: z.array(z.string()),
  updated_by: z.string().nullable(),
  updated_at: z.string().nullable(),
});

const figures = z.object({
  mrr_cents: z.number().int(),
  arr_cents: z.number().int(),
  net_revenue_cents: z.number().int(),
});

export const revenueReportResponse = z.object({
  month: z.string(),
  reporting_currency: z.string(),
  by_currency: z.array(
    figures.extend({
      currency: z.string(),
      /** Null when no rate is set: the currency is then left out of the total. */
      rate: z.string().nullable(),
      converted: figures.nullable(),
    }),
  ),
  total: figures,
  missing_rates: z.array(z.string()),
  as_of: z.string(),
});
