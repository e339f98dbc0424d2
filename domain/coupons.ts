import { divRound, type Cents } from './money';

/**
 * Coupons and the promotion codes customers type. A coupon is the discount (a percentage, or an amount per
 * currency) and how long it lasts: the first invoice (`once`), the invoices of `durationInMonths` months
 * from the redemption (`repeating`), or every invoice (`forever`). A promotion code is a customer-facing
 * code for a coupon with its own conditions. Both are kept in the engine and synced to Stripe, which
 * applies the discount to the subscription's invoices.
 */

export const COUPON_DURATIONS = ['once', 'repeating', 'forever'] as const;
export type CouponDuration = (typeof COUPON_DURATIONS)[number];

/** Coupon ids and promotion codes: what a customer types, so letters and digits, compared without case. */
export const COUPON_ID_PATTERN = /^[a-z0-9][a-z0-9_-]{0,39}$/;
export const PROMOTION_CODE_PATTERN = /^[A-Z0-9][A-Z0-9_-]{2,39}$/;

export interface Coupon {
  id: string;
  name: string;
  /** Hundredths of a percent (2000 = 20 %), or null for an amount off. */
  percentOffBp: number | null;
  /** Cents off per currency (lower-case ISO code), or null for a percentage. */
  amountOff: Record<string, Cents> | null;
  duration: CouponDuration;
  durationInMonths: number | null;
  /** Plan codes it applies to; null for every plan. */
  plans: string[] | null;
  maxRedemptions: number | null;
  redeemBy: Date | null;
  active: boolean;
}

export interface PromotionCode {
  id: string;
  /** As customers type it, upper-cased. */
  code: string;
  couponId: string;
  /** Only for a customer who has never paid an invoice. */
  firstTimeOnly: boolean;
  /** The least first invoice (before the discount) it applies to, in `minimumCurrency`. */
  minimumAmountCents: Cents | null;
  minimumCurrency: string | null;
  expiresAt: Date | null;
  maxRedemptions: number | null;
  active: boolean;
}

/** A code as typed: surrounding spaces dropped, upper-cased (codes are compared without case). */
export const normalizeCode = (typed: string): string => typed.trim().toUpperCase();

export interface RedemptionContext {
  now: Date;
  planCode: string;
  currency: string;
  /** What the first invoice comes to before any discount. */
  amountCents: Cents;
  /** Whether the customer has ever paid an invoice. */
  hasPaidBefore: boolean;
  /** Redemptions so far of the promotion code and of its coupon. */
  codeRedemptions: number;
  couponRedemptions: number;
}

/** Every reason a promotion code or coupon is refused, as the stable code callers get (and /openapi.json lists). */
export const COUPON_REFUSAL_CODES = [
  'promotion_code_inactive',
  'promotion_code_expired',
  'promotion_code_used_up',
  'promotion_code_first_time_only',
  'promotion_code_minimum_not_met',
  'coupon_inactive',
  'coupon_expired',
  'coupon_used_up',
  'coupon_not_for_plan',
  'coupon_not_for_currency',
] as const;

export interface CouponRefusal {
  code: (typeof COUPON_REFUSAL_CODES)[number];
  message: string;
}

const money = (cents: Cents, currency: string) => `${(cents / 100).toFixed(2)} ${currency.toUpperCase()}`;

/** Why a coupon cannot be applied to a subscription now, or null: what admins and codes both need. */
export function couponRefusal(
  coupon: Coupon,
  ctx: Pick<RedemptionContext, 'now' | 'planCode' | 'currency' | 'couponRedemptions'>,
): CouponRefusal | null {
  if (!coupon.active)
    return { code: 'coupon_inactive', message: `The coupon ${coupon.id} is no longer offered` };
  if (coupon.redeemBy && ctx.now >= coupon.redeemBy)
    return {
      code: 'coupon_expired',
      message: `The coupon ${coupon.id} could be redeemed until ${coupon.redeemBy.toISOString()}`,
    };
  if (coupon.maxRedemptions !== null && ctx.couponRedemptions >= coupon.maxRedemptions)
    return {
      code: 'coupon_used_up',
      message: `The coupon ${coupon.id} has been redeemed as often as it may be`,
    };
  if (coupon.plans && !coupon.plans.includes(ctx.planCode))
    return {
      code: 'coupon_not_for_plan',
      message: `The coupon ${coupon.id} does not apply to the ${ctx.planCode} plan`,
    };
  if (coupon.amountOff && !(ctx.currency in coupon.amountOff))
    return {
      code: 'coupon_not_for_currency',
      message: `The coupon ${coupon.id} has no amount in ${ctx.currency.toUpperCase()}`,
    };
  return null;
}

/**
 * Why a promotion code is refused for this checkout or plan change, or null: the code's own conditions
 * first (so the customer hears about what they typed), then its coupon's.
 */
export function promotionRefusal(
  promo: PromotionCode,
  coupon: Coupon,
  ctx: RedemptionContext,
): CouponRefusal | null {
  if (!promo.active)
    return { code: 'promotion_code_inactive', message: `The code ${promo.code} is no longer valid` };
  if (promo.expiresAt && ctx.now >= promo.expiresAt)
    return {
      code: 'promotion_code_expired',
      message: `The code ${promo.code} expired on ${promo.expiresAt.toISOString()}`,
    };
  if (promo.maxRedemptions !== null && ctx.codeRedemptions >= promo.maxRedemptions)
    return {
      code: 'promotion_code_used_up',
      message: `The code ${promo.code} has been used as often as it may be`,
    };
  if (promo.firstTimeOnly && ctx.hasPaidBefore)
    return {
      code: 'promotion_code_first_time_only',
      message: `The code ${promo.code} is for new customers only`,
    };
  if (promo.minimumAmountCents !== null) {
    const currency = promo.minimumCurrency ?? ctx.currency;
    if (currency !== ctx.currency || ctx.amountCents < promo.minimumAmountCents)
      return {
        code: 'promotion_code_minimum_not_met',
        message: `The code ${promo.code} needs a first invoice of at least ${money(promo.minimumAmountCents, currency)}`,
      };
  }
  return couponRefusal(coupon, ctx);
}

/**
 * What a coupon takes off an amount, in cents: a percentage rounded once, half away from zero; an amount
 * never more than what there is. Negative amounts (credits) are never discounted.
 */
export function discountCents(
  coupon: Pick<Coupon, 'percentOffBp' | 'amountOff'>,
  amountCents: Cents,
  currency: string,
): Cents {
  if (amountCents <= 0) return 0;
  if (coupon.percentOffBp !== null)
    return Math.min(amountCents, divRound(amountCents * coupon.percentOffBp, 10_000));
  return Math.min(amountCents, coupon.amountOff?.[currency] ?? 0);
}

/** When a discount redeemed at `start` stops applying: never for `forever` and `once` (spent by its invoice). */
export function discountEnd(coupon: Pick<Coupon, 'duration' | 'durationInMonths'>, start: Date): Date | null {
  if (coupon.duration !== 'repeating') return null;
  const months = coupon.durationInMonths ?? 1;
  const end = new Date(start);
  const day = end.getUTCDate();
  end.setUTCDate(1);
  end.setUTCMonth(end.getUTCMonth() + months);
  const lastDay = new Date(Date.UTC(end.getUTCFullYear(), end.getUTCMonth() + 1, 0)).getUTCDate();
  end.setUTCDate(Math.min(day, lastDay));
  return end;
}

/** A subscription's discount as the mirror keeps it (from Stripe's `discounts`). */
export interface SubscriptionDiscount {
  couponId: string;
  promotionCodeId: string | null;
  start: Date;
  end: Date | null;
}

/** Whether a discount still applies to an invoice made at `at` (a `once` discount is removed once used). */
export const discountAppliesAt = (d: Pick<SubscriptionDiscount, 'end'>, at: Date): boolean =>
  d.end === null || at < d.end;

/**
 * Why a subscription's discount stops a move to another plan, or null. Stripe keeps a subscription's
 * discount through a price change, so a coupon for some plans only would follow the customer onto a plan
 * it was never offered for (and could not be redeemed for at checkout): the change is refused instead,
 * for a change now and at period end alike. A code typed with a change made now replaces the discount
 * (it is checked for the new plan itself); a discount that has ended by `at`, when the new plan starts,
 * and a coupon the engine does not know (made in Stripe) stop nothing.
 */
export function planChangeCouponRefusal(
  discount: Pick<SubscriptionDiscount, 'couponId' | 'end'> | null,
  coupon: Pick<Coupon, 'id' | 'plans'> | null,
  change: { planCode: string; at: Date; replacedByCode: boolean },
): CouponRefusal | null {
  if (!discount || !coupon || coupon.id !== discount.couponId || change.replacedByCode) return null;
  if (!discountAppliesAt(discount, change.at)) return null;
  if (!coupon.plans || coupon.plans.includes(change.planCode)) return null;
  return {
    code: 'coupon_not_for_plan',
    message:
      `The subscription's coupon ${coupon.id} does not apply to the ${change.planCode} plan: ` +
      'type a promotion code for that plan with a change made now, or ask support to remove the coupon',
  };
}

/** A coupon's terms in words, for the console and the customer ("20 % off for 3 months"). */
export function couponTerms(
  coupon: Pick<Coupon, 'percentOffBp' | 'amountOff' | 'duration' | 'durationInMonths'>,
): string {
  const off =
    coupon.percentOffBp !== null
      ? `${(coupon.percentOffBp / 100).toString()} % off`
      : `${Object.entries(coupon.amountOff ?? {})
          .map(([c, cents]) => money(cents, c))
          .join(' or ')} off`;
  const how =
    coupon.duration === 'once'
      ? 'the first invoice'
      : coupon.duration === 'forever'
        ? 'every invoice'
        : `${coupon.durationInMonths ?? 1} month${(coupon.durationInMonths ?? 1) === 1 ? '' : 's'}`;
  return `${off}, ${coupon.duration === 'repeating' ? 'for ' : ''}${how}`;
}

/** A discount's terms as the mirror keeps them beside it, in the subscription's currency. */
export interface DiscountTerms {
  percentOffBp: number | null;
  amountOffCents: Cents | null;
}

/**
 * What a discount takes off each line of an invoice, as Stripe applies it: a percentage of every line,
 * credits too (so a plan change under a discount nets out discounted), each rounded half away from zero;
 * an amount off the positive lines in order, never more than they come to.
 */
export function lineDiscounts(terms: DiscountTerms, lines: readonly Cents[]): Cents[] {
  if (terms.percentOffBp !== null) {
    const bp = terms.percentOffBp;
    return lines.map((amount) => divRound(amount * bp, 10_000));
  }
  let left = Math.max(0, terms.amountOffCents ?? 0);
  return lines.map((amount) => {
    const off = Math.max(0, Math.min(left, amount));
    left -= off;
    return off;
  });
}
