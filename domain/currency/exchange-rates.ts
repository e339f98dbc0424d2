const RATE_SCALE = 100_000_000n;

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

/** The rate's canonical text: trailing zeros dropped ("1.08", "2"). */
export function rateText(scaled: bigint): string {
  const whole = scaled / RATE_SCALE;
  const frac = (scaled % RATE_SCALE).toString().padStart(8, '0').replace(/0+$/, '');
  return frac ? `${whole}.${frac}` : `${whole}`;
}

/** `amount × num ÷ den`, rounded half away from zero: every conversion's one rounding. */
function scaleHalfAway(amount: bigint, num: bigint, den: bigint): bigint {
  const product = amount * num;
  const abs = product < 0n ? -product : product;
  const q = abs / den + ((abs % den) * 2n >= den ? 1n : 0n);
  return product < 0n ? -q : q;
}

/** Cents of another currency in the reporting currency's cents at `rate`, rounded half away from zero. */
export function convertCents(cents: number, rate: bigint): number {
  return Number(scaleHalfAway(BigInt(cents), rate, RATE_SCALE));
}

/** Amounts of one currency in another: multiply by `num`, divide by `den`. */
export interface Conversion {
  from: string;
  to: string;
  num: bigint;
  den: bigint;
}

/**
 * How `from` converts into `to` through the admin's rates into the reporting currency (which is worth one of
 * itself); null when either has no rate.
 */
export function conversion(
  rates: { reportingCurrency: string; rates: Readonly<Record<string, string>> },
  from: string,
  to: string,
): Conversion | null {
  if (from === to) return { from, to, num: 1n, den: 1n };
  const worth = (c: string) => (c === rates.reportingCurrency ? RATE_SCALE : parseRate(rates.rates[c]));
  const num = worth(from);
  const den = worth(to);
  return num === null || den === null ? null : { from, to, num, den };
}

/** An integer amount converted, rounded half away from zero (picocents or cents alike). */
export function convertAmount(amount: bigint, c: Conversion): bigint {
  return scaleHalfAway(amount, c.num, c.den);
}
