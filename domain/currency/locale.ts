import type { Currency } from './codes';

/**
 * Region and language to currency, for picking what a visitor sees first from the languages they prefer. A
 * language alone names the currency most of its speakers pay in (`de` → EUR); a region wins over it.
 */
const REGION_CURRENCY: Record<string, Currency> = {
  US: 'usd',
  GB: 'gbp',
  CA: 'cad',
  AU: 'aud',
  NZ: 'nzd',
  CH: 'chf',
  LI: 'chf',
  SE: 'sek',
  NO: 'nok',
  DK: 'dkk',
  PL: 'pln',
  CZ: 'czk',
  SG: 'sgd',
  HK: 'hkd',
  IN: 'inr',
  BR: 'brl',
  MX: 'mxn',
  ZA: 'zar',
  ...Object.fromEntries(
    [
      'AT',
      'BE',
      'CY',
      'DE',
      'EE',
      'ES',
      'FI',
      'FR',
      'GR',
      'HR',
      'IE',
      'IT',
      'LT',
      'LU',
      'LV',
      'MT',
      'NL',
      'PT',
      'SI',
      'SK',
    ].map((r) => [r, 'eur' as const]),
  ),
};
const LANGUAGE_CURRENCY: Record<string, Currency> = {
  de: 'eur',
  fr: 'eur',
  es: 'eur',
  it: 'eur',
  nl: 'eur',
  pt: 'eur',
  fi: 'eur',
  el: 'eur',
  et: 'eur',
  lv: 'eur',
  lt: 'eur',
  sk: 'eur',
  sl: 'eur',
  ga: 'eur',
  mt: 'eur',
  hr: 'eur',
  sv: 'sek',
  nb: 'nok',
  nn: 'nok',
  no: 'nok',
  da: 'dkk',
  pl: 'pln',
  cs: 'czk',
  hi: 'inr',
};

/**
 * The first currency a list of language tags names (`de-AT`, `fr`), most preferred first, that `offered`
 * holds, or null: a tag's region wins over its language.
 */
export function currencyForLanguages(tags: readonly string[], offered: readonly string[]): string | null {
  for (const tag of tags) {
    const [lang = '', ...rest] = tag.split('-');
    const region = rest.find((s) => /^[A-Za-z]{2}$/.test(s))?.toUpperCase();
    const currency = (region && REGION_CURRENCY[region]) || LANGUAGE_CURRENCY[lang.toLowerCase()];
    if (currency && offered.includes(currency)) return currency;
  }
  return null;
}
