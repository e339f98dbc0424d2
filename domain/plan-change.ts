import { calendarKeepsAnchor, type BillingAnchor } from './billing-anchor';
import { divRound, type Cents } from './money';
import { countsTowardMrr, type SubscriptionStatus } from './subscription-status';
import { lineDiscounts, type DiscountTerms } from './coupons';

export const BILLING_INTERVALS = ['month', 'year'] as const;
export type BillingInterval = (typeof BILLING_INTERVALS)[number];

export const MONTHS_PER_YEAR = 12;

/** Months one billing period covers. */
const MONTHS_PER_PERIOD: Readonly<Record<BillingInterval, number>> = { month: 1, year: 12 };

export function monthsPerPeriod(interval: BillingInterval): number {
  return MONTHS_PER_PERIOD[interval];
}

/** Billing periods in a year: how many times a price on this cycle is charged over one. */
export function periodsPerYear(interval: BillingInterval): number {
  return MONTHS_PER_YEAR / MONTHS_PER_PERIOD[interval];
}

/** A price as the rules compare it. */
export interface PriceTerms {
  amountCents: Cents;
  interval: BillingInterval;
}

/** What a price comes to over a year: how plans on different cycles are compared. */
export function annualizedCents({ amountCents, interval }: PriceTerms): Cents {
  return amountCents * periodsPerYear(interval);
}

/** A subscription's discount as recurring revenue reads it (the mirror's `subscriptions.discount`). */
export interface RecurringDiscount extends Partial<DiscountTerms> {
  start: string;
  end: string | null;
  /** False for a `once` coupon: a one-off, like a signup credit, it never lowers recurring revenue. */
  recurring?: boolean;
}

/**
 * What a subscription recurs at, at `at`: its price less a recurring discount (`repeating` until its end,
 * or `forever`) that applies then, as Stripe discounts each invoice. This is the amount MRR counts, so MRR
 * is net of discounts; a `once` discount leaves it at the price.
 */
export function recurringAmountCents(
  amountCents: Cents,
  discount: RecurringDiscount | null | undefined,
  at: Date,
): Cents {
  if (!discount || discount.recurring === false) return amountCents;
  const t = at.getTime();
  if (t < Date.parse(discount.start) || (discount.end !== null && t >= Date.parse(discount.end)))
    return amountCents;
  const terms = {
    percentOffBp: discount.percentOffBp ?? null,
    amountOffCents: discount.amountOffCents ?? null,
  };
  if (terms.percentOffBp === null && terms.amountOffCents === null) return amountCents;
  return amountCents - (lineDiscounts(terms, [amountCents])[0] ?? 0);
}

/** A subscription's annual recurring revenue: its annualized price while it pays, else nothing. */
export function arrCents(status: SubscriptionStatus, terms: PriceTerms): Cents {
  return countsTowardMrr(status) ? annualizedCents(terms) : 0;
}

/**
 * Annual recurring revenue as monthly (MRR), rounded half away from zero. Sums of revenue are kept
 * annualized and divided once, at the end, so a total is not the sum of rounded parts.
 */
export function mrrFromArrCents(arr: Cents): Cents {
  return divRound(arr, MONTHS_PER_YEAR);
}

/** A subscription's monthly recurring revenue: its ARR over twelve months. */
export function mrrCents(status: SubscriptionStatus, terms: PriceTerms): Cents {
  return mrrFromArrCents(arrCents(status, terms));
}

/**
 * An upgrade costs at least as much over a year as the price it replaces. Comparing annualized amounts
 * makes a switch between cycles of one plan follow what the customer pays, not the sticker price.
 */
export function isUpgrade(from: PriceTerms, to: PriceTerms): boolean {
  return annualizedCents(to) >= annualizedCents(from);
}

/** A subscription's price and anchor, as a plan change reads them. */
export interface SubscriptionTerms extends PriceTerms {
  billingAnchor?: BillingAnchor;
}

/**
 * Upgrades apply now (prorated), downgrades at period end, unless the caller says when. On calendar
 * billing a change between monthly and yearly waits for the period's end (calendarKeepsAnchor).
 */
export function planChangeTiming(
  from: SubscriptionTerms,
  to: PriceTerms,
  asked?: 'now' | 'period_end',
): 'now' | 'period_end' {
  if (asked) return asked;
  if (calendarKeepsAnchor(from.billingAnchor ?? 'anniversary', from.interval, to.interval))
    return 'period_end';
  return isUpgrade(from, to) ? 'now' : 'period_end';
}

/** Why a change asked for now cannot be made now; null when it can. */
export function planChangeNowRefusal(
  from: SubscriptionTerms,
  to: PriceTerms,
  asked?: 'now' | 'period_end',
): string | null {
  if (asked !== 'now') return null;
  return calendarKeepsAnchor(from.billingAnchor ?? 'anniversary', from.interval, to.interval)
    ? 'On calendar billing a change between monthly and yearly takes effect at the period end, on the 1st'
    : null;
}
