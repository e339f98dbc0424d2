/** Money inside the engine is an integer count of minor units (cents for USD). */
export type Cents = number;

export function assertCents(value: number, field = 'amount'): Cents {
  if (!Number.isSafeInteger(value)) throw new RangeError(`${field} must be an integer number of minor units`);
  return value;
}

/** For the API's dollar fields (kept for clients that read dollars); the engine never computes with the result. */
export function centsToDollars(cents: Cents): number {
  return assertCents(cents) / 100;
}

/** Parses a decimal amount ("19.99" or 19.99) to cents without float drift; rejects more than 2 decimals. */
export function dollarsToCents(amount: string | number): Cents {
  const text = typeof amount === 'number' ? amount.toString() : amount.trim();
  const m = /^(-?)(\d+)(?:\.(\d{1,2}))?$/.exec(text);
  if (!m) throw new RangeError(`"${text}" is not an amount with at most two decimals`);
  const [, sign, whole, frac = ''] = m;
  const cents = Number(whole) * 100 + Number(frac.padEnd(2, '0'));
  return sign === '-' ? -cents : cents;
}

/** Integer division rounding half away from zero, for prorations and per-unit prices. */
export function divRound(numerator: number, denominator: number): number {
  if (denominator === 0) throw new RangeError('division by zero');
  const q = Math.trunc(numerator / denominator);
  const r = numerator - q * denominator;
  if (Math.abs(r) * 2 >= Math.abs(denominator)) return q + Math.sign(numerator) * Math.sign(denominator);
  return q;
}
