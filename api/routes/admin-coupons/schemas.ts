import { z } from 'zod';
import { COUPON_ID_PATTERN, PROMOTION_CODE_PATTERN } from '../../../domain/coupons';

const currency = z.string().regex(/^[a-z]{3}$/, 'a lower-case ISO currency code');
const when = z.iso.datetime({ offset: true });

export const couponParams = z
  .object({ id: z.string().regex(COUPON_ID_PATTERN, 'must be a coupon id') })
  .strict();
export const promotionCodeParams = z
  .object({ id: z.string().regex(/^promo_[0-9a-z]{20}$/, 'must be a promotion code id (promo_…)') })
  .strict();

export const createCouponBody = z
  .object({
    id: z.string().regex(COUPON_ID_PATTERN, 'lower-case letters, digits, - and _ (40 at most)'),
    name: z.string().trim().min(1).max(200),
    /** A percentage with at most two decimals (12.5); or amount_off. */
    percent_off: z.number().gt(0).max(100).multipleOf(0.01).optional(),
    /** Cents off per currency, e.g. {"eur": 1000, "usd": 1200}; or percent_off. */
    amount_off: z.record(currency, z.number().int().min(1).max(99_999_999)).optional(),
    duration: z.enum(['once', 'repeating', 'forever']),
    duration_in_months: z.number().int().min(1).max(120).optional(),
    /** Plan codes it applies to; omitted: every plan. */
    plans: z
      .array(z.string().regex(/^[a-z0-9][a-z0-9_-]{0,63}$/))
      .min(1)
      .max(50)
      .optional(),
    max_redemptions: z.number().int().min(1).max(1_000_000_000).optional(),
    redeem_by: when.optional(),
  })
  .strict()
  .superRefine((b, ctx) => {
    if ((b.percent_off === undefined) === (b.amount_off === undefined))
      ctx.addIssue({
        code: 'custom',
        path: ['percent_off'],
        message: 'give percent_off or amount_off, not both',
      });
    if (b.amount_off && Object.keys(b.amount_off).length === 0)
      ctx.addIssue({ code: 'custom', path: ['amount_off'], message: 'name at least one currency' });
    if ((b.duration === 'repeating') !== (b.duration_in_months !== undefined))
      ctx.addIssue({
        code: 'custom',
        path: ['duration_in_months'],
        message: 'a repeating coupon needs duration_in_months, and only it takes one',
      });
  })
  // The terms depend on one another, so the docs show a whole coupon rather than one made field by field.
  .meta({
    default: {
      id: 'launch20',
      name: 'Launch',
      percent_off: 20,
      duration: 'repeating',
      duration_in_months: 3,
    },
  });

export const createPromotionCodeBody = z
  .object({
    /** What customers type; compared without case. */
    code: z.string().trim().toUpperCase().regex(PROMOTION_CODE_PATTERN, 'letters, digits, - and _ (3 to 40)'),
    coupon_id: z.string().regex(COUPON_ID_PATTERN, 'must be a coupon id'),
    first_time_only: z.boolean().default(false),
    minimum_amount_cents: z.number().int().min(1).max(99_999_999).optional(),
    minimum_currency: currency.optional(),
    expires_at: when.optional(),
    max_redemptions: z.number().int().min(1).max(1_000_000_000).optional(),
  })
  .strict()
  .superRefine((b, ctx) => {
    if ((b.minimum_amount_cents === undefined) !== (b.minimum_currency === undefined))
      ctx.addIssue({ code: 'custom', path: ['minimum_currency'], message: 'a minimum needs its currency' });
  });

export const updatePromotionCodeBody = z.object({ active: z.boolean() }).strict();

export const customerParams = z.object({ email: z.email().max(254) }).strict();
export const applyCouponBody = z
  .object({ coupon_id: z.string().regex(COUPON_ID_PATTERN, 'must be a coupon id') })
  .strict();

const timestamp = z.string();
const promotionCode = z.object({
  id: z.string(),
  code: z.string(),
  coupon_id: z.string(),
  first_time_only: z.boolean(),
  minimum_amount_cents: z.number().int().nullable(),
  minimum_currency: z.string().nullable(),
  expires_at: timestamp.nullable(),
  max_redemptions: z.number().int().nullable(),
  active: z.boolean(),
  redemptions: z.number().int(),
  in_stripe: z.boolean(),
});

export const couponResponse = z.object({
  id: z.string(),
  name: z.string(),
  /** In words: "20 % off, for 3 months". */
  terms: z.string(),
  percent_off: z.number().nullable(),
  amount_off: z.record(z.string(), z.number().int()).nullable(),
  duration: z.enum(['once', 'repeating', 'forever']),
  duration_in_months: z.number().int().nullable(),
  plans: z.array(z.string()).nullable(),
  max_redemptions: z.number().int().nullable(),
  redeem_by: timestamp.nullable(),
  active: z.boolean(),
  redemptions: z.number().int(),
  in_stripe: z.boolean(),
  promotion_codes: z.array(promotionCode),
  created_at: timestamp,
});

export const couponListResponse = z.object({ coupons: z.array(couponResponse) });
