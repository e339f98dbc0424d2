import { z } from 'zod';
import { cents, count, currencyCode, dollars, timestamp } from '../response-types';

const day = z.iso.date();

export const periodSummaryResponse = z.object({
  period_start: timestamp,
  period_end: timestamp.nullable(),
  /** Every UTC day of the period (through today, if later): units per usage type, null for a day to come. */
  daily_usage: z.array(z.object({ day, units: z.record(z.string(), count).nullable() })),
  /** What the invoice closing the period will come to, before tax (Stripe adds it); null when none is due. */
  next_invoice: z
    .object({
      date: timestamp,
      currency: currencyCode,
      plan: dollars,
      plan_cents: cents,
      /** The period's rated usage so far: the credits' overage and every line of the plan's rate card. */
      usage: dollars,
      usage_cents: cents,
      discount: dollars,
      discount_cents: cents,
      /** The coupon whose discount applies on that date. */
      coupon: z.object({ id: z.string(), name: z.string().nullable() }).nullable(),
      total: dollars,
      total_cents: cents,
    })
    .nullable(),
});
