import { isCurrency } from './codes';

/** A credit pack's price in `currency`, or null when it is not sold in it. */
export function packPriceIn(
  pack: { currency: string; priceCents: number; currencyPrices: Readonly<Record<string, number>> },
  currency: string,
): number | null {
  if (currency === pack.currency) return pack.priceCents;
  return Object.hasOwn(pack.currencyPrices, currency) ? (pack.currencyPrices[currency] ?? null) : null;
}

/** Why a pack's prices in other currencies cannot be taken, naming the currency at fault; null when fine. */
export function packPricesRefusal(
  base: string,
  prices: Readonly<Record<string, number>>,
): { code: string; message: string; field: string } | null {
  for (const currency of Object.keys(prices)) {
    if (!isCurrency(currency))
      return {
        code: 'currency_not_supported',
        message: `"${currency}" is not a currency prices can be set in`,
        field: currency,
      };
    if (currency === base)
      return { code: 'currency_is_base', message: `${currency} is the pack's own currency`, field: currency };
  }
  return null;
}
