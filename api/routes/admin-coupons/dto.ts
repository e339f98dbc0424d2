import { couponTerms } from '../../../domain/coupons';
import type { CouponView } from '../../../services/coupons/coupons';

const iso = (d: Date | null) => d?.toISOString() ?? null;

/** A coupon with its promotion codes, as the console shows it. */
export function couponDto(v: CouponView) {
  const c = v.coupon;
  return {
    id: c.id,
    name: c.name,
    terms: couponTerms(c),
    percent_off: c.percentOffBp === null ? null : c.percentOffBp / 100,
    amount_off: c.amountOff,
    duration: c.duration,
    duration_in_months: c.durationInMonths,
    plans: c.plans,
    max_redemptions: c.maxRedemptions,
    redeem_by: iso(c.redeemBy),
    active: c.active,
    redemptions: v.redemptions,
    in_stripe: v.stripeCouponId !== null,
    promotion_codes: v.codes.map((p) => ({
      id: p.id,
      code: p.code,
      coupon_id: p.couponId,
      first_time_only: p.firstTimeOnly,
      minimum_amount_cents: p.minimumAmountCents,
      minimum_currency: p.minimumCurrency,
      expires_at: iso(p.expiresAt),
      max_redemptions: p.maxRedemptions,
      active: p.active,
      redemptions: p.redemptions,
      in_stripe: p.stripePromotionCodeId !== null,
    })),
    created_at: v.createdAt.toISOString(),
  };
}
