import { z } from 'zod';

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
const STATUSES = [
  'incomplete',
  'trialing',
  'active',
  'past_due',
  'suspended',
  'paused',
  'canceled',
  'expired',
] as const;

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
  .strict();

export const customersQuery = z
  .object({
    limit: limit(100),
    cursor,
    sort: z.enum(['created', '-created', 'email', '-email']).default('-created'),
    email: z.string().min(1).max(254).optional(),
  })
  .strict();

export const subscriptionsQuery = z
  .object({
    limit: limit(100),
    cursor,
    sort: z.enum(['created', '-created', 'amount', '-amount']).default('-created'),
    /** One status or several, comma-separated (`active,past_due`). */
    status: z
      .string()
      .transform((v) => v.split(',').map((s) => s.trim()))
      .pipe(z.array(z.enum(STATUSES)).min(1))
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
    billing_cycle: z.enum(['monthly', 'yearly']).optional(),
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
