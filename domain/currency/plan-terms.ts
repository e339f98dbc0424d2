import type { RateLine } from '../rate-card';

/** What a plan version costs, and how its usage is rated, in one currency. */
export interface CurrencyTerms {
  priceMonthlyCents: number;
  priceYearlyCents: number | null;
  overagePer1kCents: number;
  rateCard: RateLine[];
}

/** A plan version's prices in a currency beside its base one, and the Stripe prices that bill them. */
export interface CurrencyPrice extends CurrencyTerms {
  stripePriceMonthlyId?: string | null;
  stripePriceYearlyId?: string | null;
  stripeUsagePriceMonthlyId?: string | null;
  stripeUsagePriceYearlyId?: string | null;
}

export interface PricedPlan extends Omit<CurrencyTerms, 'priceYearlyCents'> {
  priceYearlyCents?: number | null;
  currency: string;
  currencyPrices: Record<string, CurrencyPrice>;
}

/** Every currency a plan version can be bought in, its base currency first. */
export function offeredCurrencies(plan: Pick<PricedPlan, 'currency' | 'currencyPrices'>): string[] {
  return [
    plan.currency,
    ...Object.keys(plan.currencyPrices)
      .filter((c) => c !== plan.currency)
      .sort(),
  ];
}

/** The plan version's terms in `currency`, or null when it is not sold in it. */
export function termsIn(plan: PricedPlan, currency: string): CurrencyTerms | null {
  if (currency === plan.currency) {
    return {
      priceMonthlyCents: plan.priceMonthlyCents,
      priceYearlyCents: plan.priceYearlyCents ?? null,
      overagePer1kCents: plan.overagePer1kCents,
      rateCard: plan.rateCard,
    };
  }
  // Own keys only: a currency named like an Object property (`constructor`) is no price.
  const p = Object.hasOwn(plan.currencyPrices, currency) ? plan.currencyPrices[currency] : undefined;
  if (!p) return null;
  return {
    priceMonthlyCents: p.priceMonthlyCents,
    priceYearlyCents: p.priceYearlyCents,
    overagePer1kCents: p.overagePer1kCents,
    rateCard: p.rateCard,
  };
}

/**
 * Like termsIn, for reading what a subscription in `currency` pays: a plan not (or no longer) priced in it
 * falls back to its base terms rather than rating usage at nothing.
 */
export function termsFor(plan: PricedPlan, currency: string): CurrencyTerms {
  return termsIn(plan, currency) ?? (termsIn(plan, plan.currency) as CurrencyTerms);
}
