import { lineKey, type RateLine } from './rate-card';

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

/**
 * The currency a checkout bills in. A customer whose first checkout went through pays in that currency
 * for good (Stripe refuses a second currency on one customer), so asking for another is a conflict, not
 * a silent switch. Undefined: the plan's own.
 */
export function checkoutCurrency(
  fixed: string | null,
  asked: string | null,
):
  | { currency: string | undefined }
  | { kind: 'invalid' | 'conflict'; code: string; message: string; details: Record<string, unknown> } {
  if (asked === null) return { currency: fixed ?? undefined };
  const wanted = parseCurrency(asked);
  if (!wanted)
    return {
      kind: 'invalid',
      code: 'currency_not_supported',
      message: `"${asked}" is not a currency we price in`,
      details: { currencies: [...CURRENCIES] },
    };
  if (fixed && wanted !== fixed)
    return {
      kind: 'conflict',
      code: 'currency_fixed',
      message: `Your account pays in ${fixed.toUpperCase()}; it cannot change to ${wanted.toUpperCase()}`,
      details: { currency: fixed },
    };
  return { currency: wanted };
}

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

/**
 * Region and language to currency, for picking what a visitor sees first from `Accept-Language`. A
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
 * The first currency in the caller's `Accept-Language` preferences (by weight, then order) that `offered`
 * holds, or null. Malformed entries are skipped, never refused: the header is a hint.
 */
export function currencyFromAcceptLanguage(
  header: string | undefined,
  offered: readonly string[],
): string | null {
  if (!header) return null;
  const prefs = header
    .slice(0, 1000)
    .split(',')
    .slice(0, 32)
    .map((part, order) => {
      const [tag = '', ...params] = part.trim().split(';');
      const q = params.map((x) => /^\s*q=([01](?:\.\d{0,3})?)\s*$/.exec(x)).find(Boolean);
      return { tag: tag.trim(), q: q ? Number(q[1]) : 1, order };
    })
    .filter((p) => /^[A-Za-z]{1,8}(?:-[A-Za-z0-9]{1,8})*$/.test(p.tag) && p.q > 0)
    .sort((a, b) => b.q - a.q || a.order - b.order);
  for (const { tag } of prefs) {
    const [lang = '', ...rest] = tag.split('-');
    const region = rest.find((s) => /^[A-Za-z]{2}$/.test(s))?.toUpperCase();
    const currency = (region && REGION_CURRENCY[region]) || LANGUAGE_CURRENCY[lang.toLowerCase()];
    if (currency && offered.includes(currency)) return currency;
  }
  return null;
}

/**
 * An exchange rate as an admin sets it: how many units of the reporting currency one unit of another buys,
 * a positive decimal of at most 8 places and 12 digits in all ("1.0832"). Kept as text so no float ever
 * touches it.
 */
export function parseRate(v: unknown): bigint | null {
  if (typeof v !== 'string' && typeof v !== 'number') return null;
  const text = String(v).trim();
  const m = /^(\d{1,4})(?:\.(\d{1,8}))?$/.exec(text);
  if (!m) return null;
  const scaled = BigInt(m[1] as string) * RATE_SCALE + BigInt((m[2] ?? '').padEnd(8, '0'));
  return scaled > 0n ? scaled : null;
}

const RATE_SCALE = 100_000_000n;

/** The rate's canonical text: trailing zeros dropped ("1.08", "2"). */
export function rateText(scaled: bigint): string {
  const whole = scaled / RATE_SCALE;
  const frac = (scaled % RATE_SCALE).toString().padStart(8, '0').replace(/0+$/, '');
  return frac ? `${whole}.${frac}` : `${whole}`;
}

/** Cents of another currency in the reporting currency's cents at `rate`, rounded half away from zero. */
export function convertCents(cents: number, rate: bigint): number {
  const product = BigInt(cents) * rate;
  const abs = product < 0n ? -product : product;
  const q = abs / RATE_SCALE + ((abs % RATE_SCALE) * 2n >= RATE_SCALE ? 1n : 0n);
  return Number(product < 0n ? -q : q);
}
