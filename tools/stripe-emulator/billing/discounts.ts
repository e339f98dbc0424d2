import type { Emulator } from '../emulator';
import { invalidRequest } from '../errors';
import { newId } from '../ids';
import type {
  CouponRec,
  CustomerRec,
  DiscountRec,
  InvoiceLineRec,
  InvoiceRec,
  PriceRec,
  PromotionCodeRec,
  SubscriptionRec,
} from '../types';

/** `months` calendar months after `at` (seconds), the day kept or, when the month lacks it, its last day. */
export function addMonths(at: number, months: number): number {
  const d = new Date(at * 1000);
  const day = d.getUTCDate();
  d.setUTCDate(1);
  d.setUTCMonth(d.getUTCMonth() + months);
  const last = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 0)).getUTCDate();
  d.setUTCDate(Math.min(day, last));
  return Math.floor(d.getTime() / 1000);
}

/** Whether a coupon can still be redeemed at `at`: Stripe's `valid`, kept current on every read. */
export function couponValid(c: CouponRec, at: number): boolean {
  if (c.redeem_by !== null && at >= c.redeem_by) return false;
  if (c.max_redemptions !== null && c.times_redeemed >= c.max_redemptions) return false;
  return c.valid;
}

function hasPaidInvoice(emu: Emulator, customer: string): boolean {
  return emu.store
    .all<InvoiceRec>('invoice')
    .some((i) => i.customer === customer && i.status === 'paid' && i.total > 0);
}

/**
 * Turns a coupon or promotion code into a discount on a subscription (or a Checkout Session's, later), as
 * Stripe refuses what cannot be redeemed: an expired or used-up code or coupon, a first-time code for a
 * customer who has paid, a first invoice under the code's minimum.
 */
export function redeem(
  emu: Emulator,
  opts: {
    customer: CustomerRec;
    subscription: string | null;
    checkoutSession?: string | null;
    coupon?: string;
    promotionCode?: string;
    at: number;
    /** The first invoice before any discount, for a code's minimum. */
    amount: number;
    currency: string;
    param: string;
  },
): DiscountRec {
  let promo: PromotionCodeRec | null = null;
  let couponId = opts.coupon;
  if (opts.promotionCode) {
    promo = emu.store.get<PromotionCodeRec>(
      'promotion_code',
      opts.promotionCode,
      `${opts.param}[promotion_code]`,
    );
    if (!promo.active || (promo.expires_at !== null && opts.at >= promo.expires_at))
      throw invalidRequest(`This promotion code is not active.`, opts.param, 'promotion_code_invalid');
    if (promo.max_redemptions !== null && promo.times_redeemed >= promo.max_redemptions)
      throw invalidRequest(
        `This promotion code has been redeemed too many times.`,
        opts.param,
        'promotion_code_invalid',
      );
    if (promo.customer && promo.customer !== opts.customer.id)
      throw invalidRequest(
        `This promotion code is for another customer.`,
        opts.param,
        'promotion_code_invalid',
      );
    const r = promo.restrictions;
    if (r.first_time_transaction && hasPaidInvoice(emu, opts.customer.id))
      throw invalidRequest(
        `This promotion code is for first-time customers only.`,
        opts.param,
        'promotion_code_invalid',
      );
    const minimum =
      r.minimum_amount_currency === opts.currency
        ? r.minimum_amount
        : r.currency_options[opts.currency]?.minimum_amount;
    if (
      (r.minimum_amount !== null || Object.keys(r.currency_options).length) &&
      (minimum === undefined || minimum === null || opts.amount < minimum)
    )
      throw invalidRequest(
        `This promotion code requires a larger first invoice.`,
        opts.param,
        'promotion_code_invalid',
      );
    couponId = promo.promotion.coupon;
  }
  const coupon = emu.store.get<CouponRec>('coupon', couponId ?? '', `${opts.param}[coupon]`);
  if (!couponValid(coupon, opts.at))
    throw invalidRequest(`Coupon expired: ${coupon.id}`, opts.param, 'coupon_expired');
  if (
    coupon.amount_off !== null &&
    coupon.currency !== opts.currency &&
    !coupon.currency_options?.[opts.currency]
  )
    throw invalidRequest(
      `The coupon ${coupon.id} has no amount in ${opts.currency}.`,
      opts.param,
      'coupon_expired',
    );
  coupon.times_redeemed += 1;
  if (promo) promo.times_redeemed += 1;
  return emu.store.put<DiscountRec>({
    id: newId('di', 24),
    object: 'discount',
    created: opts.at,
    checkout_session: opts.checkoutSession ?? null,
    customer: opts.customer.id,
    customer_account: null,
    end: coupon.duration === 'repeating' ? addMonths(opts.at, coupon.duration_in_months ?? 1) : null,
    invoice: null,
    invoice_item: null,
    promotion_code: promo?.id ?? null,
    source: { type: 'coupon', coupon: coupon.id },
    start: opts.at,
    subscription: opts.subscription,
    subscription_item: null,
  });
}

/** Half away from zero, as Stripe rounds a percentage of a line. */
const roundHalfAway = (x: number) => Math.sign(x) * Math.round(Math.abs(x));

/**
 * Applies a subscription's discount to an invoice's lines at `at`: a percentage of every discountable line
 * (proration credits too, so a plan change under a discount nets out discounted), an amount off the
 * positive lines up to what they come to. A repeating discount past its end is removed first; a `once`
 * discount is removed after the invoice it applied to (unless `preview`). Answers what each took off.
 */
export function applyDiscount(
  emu: Emulator,
  sub: SubscriptionRec | null,
  lines: InvoiceLineRec[],
  currency: string,
  at: number,
  preview = false,
): { discounts: string[]; totalDiscountAmounts: { amount: number; discount: string }[]; total: number } {
  for (const l of lines) {
    l.discount_amounts = [];
    l.discounts = [];
  }
  const none = { discounts: [], totalDiscountAmounts: [], total: 0 };
  if (!sub?._discount) return none;
  const discount = emu.store.find(sub._discount) as DiscountRec | undefined;
  if (!discount) return none;
  if (discount.end !== null && at >= discount.end) {
    if (!preview) sub._discount = null;
    return none;
  }
  const coupon = emu.store.get<CouponRec>('coupon', discount.source.coupon);
  const products = coupon.applies_to?.products ?? null;
  const eligible = lines.filter((l) => {
    if (!l.discountable) return false;
    if (!products) return true;
    const price = l.price ? (emu.store.find(l.price) as PriceRec | undefined) : undefined;
    return price !== undefined && products.includes(price.product);
  });
  let total = 0;
  if (coupon.percent_off !== null) {
    for (const l of eligible) {
      const off = roundHalfAway((l.amount * coupon.percent_off) / 100);
      l.discount_amounts = [{ amount: off, discount: discount.id }];
      total += off;
    }
  } else {
    let left =
      coupon.currency === currency
        ? (coupon.amount_off ?? 0)
        : (coupon.currency_options?.[currency]?.amount_off ?? 0);
    for (const l of eligible) {
      const off = Math.max(0, Math.min(left, l.amount));
      l.discount_amounts = [{ amount: off, discount: discount.id }];
      left -= off;
      total += off;
    }
  }
  if (coupon.duration === 'once' && !preview) sub._discount = null;
  return {
    discounts: [discount.id],
    totalDiscountAmounts: [{ amount: total, discount: discount.id }],
    total,
  };
}
