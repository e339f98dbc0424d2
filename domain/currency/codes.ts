/**
 * The currencies a price may be set in: Stripe's two-decimal presentment currencies that have a minor unit
 * of a hundredth, so every amount in the engine stays an integer count of cents. Zero- and three-decimal
 * currencies (JPY, KWD) would need a per-currency exponent everywhere money is computed; they are refused.
 */
export const CURRENCIES = [
  'usd',
  'eur',
  'gbp',
  'cad',
  'aud',
  'nzd',
  'chf',
  'sek',
  'nok',
  'dkk',
  'pln',
  'czk',
  'sgd',
  'hkd',
  'inr',
  'brl',
  'mxn',
  'zar',
] as const;
export type Currency = (typeof CURRENCIES)[number];

/** The currency a plan, pack or coupon is priced in first; every other is added beside it. */
export const BASE_CURRENCY: Currency = 'usd';

export function isCurrency(v: unknown): v is Currency {
  return typeof v === 'string' && (CURRENCIES as readonly string[]).includes(v);
}

/** A currency as a caller wrote it (`EUR`, ` eur`), or null when it is none we price in. */
export function parseCurrency(v: unknown): Currency | null {
  if (typeof v !== 'string') return null;
  const c = v.trim().toLowerCase();
  return isCurrency(c) ? c : null;
}
