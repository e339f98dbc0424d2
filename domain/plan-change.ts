import type { Cents } from './money';
import { countsTowardMrr, type SubscriptionStatus } from './subscription-status';

export type BillingInterval = 'month' | 'year';

/** A price as the rules compare it. */
export interface PriceTerms {
  amountCents: Cents;
  interval: BillingInterval;
}

/** What a price comes to over a year: how plans on different cycles are compared. */
export function annualizedCents({ amountCents, interval }: PriceTerms): Cents {
  return interval === 'year' ? amountCents : amountCents * 12;
}

/** A subscription's annual recurring revenue: its annualized price while it pays, else nothing. */
export function arrCents(status: SubscriptionStatus, terms: PriceTerms): Cents {
  return countsTowardMrr(status) ? annualizedCents(terms) : 0;
}

/**
 * An upgrade costs at least as much over a year as the price it replaces. Comparing annualized amounts
 * makes a switch between cycles of one plan follow what the customer pays, not the sticker price.
 */
export function isUpgrade(from: PriceTerms, to: PriceTerms): boolean {
  return annualizedCents(to) >= annualizedCents(from);
}

/** Upgrades apply now (prorated), downgrades at period end, unless the caller says when. */
export function planChangeTiming(
  from: PriceTerms,
  to: PriceTerms,
  asked?: 'now' | 'period_end',
): 'now' | 'period_end' {
  return asked ?? (isUpgrade(from, to) ? 'now' : 'period_end');
}
