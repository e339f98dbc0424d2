import { lineKey, type RateLine } from '../rate-card';
import { CURRENCIES, isCurrency } from './codes';
import type { CurrencyPrice, CurrencyTerms } from './plan-terms';

/**
 * A plan's prices in other currencies after an admin set them to `next`: a currency left out is no longer
 * sold; one whose amounts are unchanged keeps its Stripe prices; a changed one gets new ones at the next
 * catalog sync (Stripe prices are immutable).
 */
export function withCurrencyPrices(
  before: Readonly<Record<string, CurrencyPrice>>,
  next: Readonly<Record<string, CurrencyTerms>>,
): Record<string, CurrencyPrice> {
  const out: Record<string, CurrencyPrice> = {};
  for (const [currency, t] of Object.entries(next)) {
    const terms: CurrencyTerms = {
      priceMonthlyCents: t.priceMonthlyCents,
      priceYearlyCents: t.priceYearlyCents,
      overagePer1kCents: t.overagePer1kCents,
      rateCard: t.rateCard,
    };
    const old = Object.hasOwn(before, currency) ? before[currency] : undefined;
    const same = (k: keyof CurrencyTerms) => old && JSON.stringify(old[k]) === JSON.stringify(terms[k]);
    out[currency] = {
      ...terms,
      stripePriceMonthlyId: same('priceMonthlyCents') ? (old?.stripePriceMonthlyId ?? null) : null,
      stripePriceYearlyId: same('priceYearlyCents') ? (old?.stripePriceYearlyId ?? null) : null,
      stripeUsagePriceMonthlyId: old?.stripeUsagePriceMonthlyId ?? null,
      stripeUsagePriceYearlyId: old?.stripeUsagePriceYearlyId ?? null,
    };
  }
  return out;
}

/**
 * Why a plan's prices in another currency cannot be taken: its rate card must price the same lines as the
 * base card (the same usage, the same included units), only in other amounts; a yearly price exists in
 * every currency or in none. `field` names the entry at fault under `currency_prices`.
 */
export function currencyPriceRefusal(
  base: { currency: string; priceYearlyCents?: number | null; rateCard: RateLine[] },
  currency: string,
  p: CurrencyTerms,
): { code: string; message: string; field: string } | null {
  if (!isCurrency(currency))
    return {
      code: 'currency_not_supported',
      message: `"${currency}" is not a currency prices can be set in (${CURRENCIES.join(', ')})`,
      field: currency,
    };
  if (currency === base.currency)
    return {
      code: 'currency_is_base',
      message: `${currency} is the plan's own currency; set its prices in the plan's fields`,
      field: currency,
    };
  if ((p.priceYearlyCents === null) !== (base.priceYearlyCents == null))
    return {
      code: 'currency_cycles_differ',
      message: `A yearly price is set in every currency or in none`,
      field: `${currency}.price_yearly_cents`,
    };
  const want = base.rateCard.map(lineKey).sort().join('\n');
  const got = p.rateCard.map(lineKey).sort().join('\n');
  if (want !== got)
    return {
      code: 'currency_rate_card_differs',
      message: `The rate card in ${currency} must price the same lines as the plan's own card`,
      field: `${currency}.rate_card`,
    };
  for (const [i, line] of p.rateCard.entries()) {
    const same = base.rateCard.find((b) => lineKey(b) === lineKey(line));
    if (same && same.included !== line.included)
      return {
        code: 'currency_rate_card_differs',
        message: `Included units are the same in every currency; only prices differ`,
        field: `${currency}.rate_card.${i}.included`,
      };
  }
  return null;
}
