import { lineDiscounts, type Coupon } from './coupons';
import { previewProration } from './proration';

/** What a plan change's proration reads of the subscription, as the mirror holds it. */
export interface ProratedSubscription {
  tier: string;
  amountCents: number;
  interval: 'month' | 'year';
  currentPeriodStart?: Date | null;
  currentPeriodEnd?: Date | null;
  discount?: {
    end: string | null;
    percentOffBp?: number | null;
    amountOffCents?: number | null;
  } | null;
}

/** The price a change moves onto: its plan, amount, cycle and currency. */
export interface ProratedPrice {
  plan: { code: string };
  amountCents: number;
  interval: 'month' | 'year';
  currency: string;
}

/**
 * The proration Stripe will invoice for moving `sub` onto `price` at `at` (now), or nothing now at period
 * end; under the subscription's discount, or `typed`, the coupon of a code redeemed with the change.
 */
export function prorationPreview(
  sub: ProratedSubscription,
  price: ProratedPrice,
  when: 'now' | 'period_end',
  at: Date,
  typed: Coupon | null = null,
) {
  const atMs = at.getTime();
  const p = previewProration({
    oldAmountCents: sub.amountCents,
    newAmountCents: price.amountCents,
    periodStartMs: sub.currentPeriodStart?.getTime() ?? atMs,
    periodEndMs: sub.currentPeriodEnd?.getTime() ?? atMs,
    atMs,
    intervalChanges: sub.interval !== price.interval,
  });
  // A change at period end charges nothing now: the renewal bills the new price.
  const now = when === 'now';
  // The discount takes its share of both lines, as Stripe discounts the proration invoice; a typed code's
  // coupon for some plans only leaves the old plan's credit alone (Stripe has it as applies_to).
  const d = sub.discount;
  const live = typed
    ? true
    : d && (d.end === null || atMs < Date.parse(d.end)) && d.percentOffBp !== undefined;
  const terms = typed
    ? { percentOffBp: typed.percentOffBp, amountOffCents: typed.amountOff?.[price.currency] ?? null }
    : { percentOffBp: d?.percentOffBp ?? null, amountOffCents: d?.amountOffCents ?? null };
  const creditCovered = !typed?.plans || typed.plans.includes(sub.tier);
  const [creditOff, chargeOff] =
    live && now ? lineDiscounts(terms, [creditCovered ? p.creditCents : 0, p.chargeCents]) : [0, 0];
  const discountCents = (creditOff ?? 0) + (chargeOff ?? 0);
  return {
    when,
    tier: price.plan.code,
    creditCents: now ? p.creditCents : 0,
    chargeCents: now ? p.chargeCents : 0,
    discountCents,
    dueNowCents: now ? Math.max(0, p.netCents - discountCents) : 0,
    nextAmountCents: price.amountCents,
  };
}
