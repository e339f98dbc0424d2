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

/** Cents of another currency in the reporting currency's cents at `rate`, rounded half away from zero. */
export function convertCents(cents: number, rate: bigint): number {
  const product = BigInt(cents) * rate;
  const abs = product < 0n ? -product : product;
  const q = abs / RATE_SCALE + ((abs % RATE_SCALE) * 2n >= RATE_SCALE ? 1n : 0n);
  return Number(product < 0n ? -q : q);
}
