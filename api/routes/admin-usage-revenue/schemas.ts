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
