import type { Cents } from './money';
import { lineKey, POOL_LINE_KEY, type PriceModel, type RateLine, type Tier } from './rate-card';

/**
 * What a rate card's lines cost over a period (the card itself is in rate-card.ts).
 *
 * Rounding, stated once: a line's period cost is computed exactly (decimal prices with up to 12 places,
 * in integer arithmetic) and rounded once to whole cents, half up; the period's usage cost is the sum of
 * its lines' cents. Rating takes a line's period total, so how events were batched or ordered never
 * changes the cents.
 */

/** Fixed-point scale of decimal prices: 12 places. */
const SCALE = 10n ** 12n;

/** A unit price as decimal text in cents, as cents × 10¹² (picocents). */
export function decimalToScaled(decimal: string): bigint {
  const [whole, frac = ''] = decimal.split('.');
  return BigInt(whole as string) * SCALE + BigInt(frac.padEnd(12, '0'));
}

/** Scaled cents to whole cents, half up (amounts are never negative). */
function roundScaled(scaled: bigint): Cents {
  return Number((scaled + SCALE / 2n) / SCALE);
}

/** The exact cost of `units` beyond the included ones, in cents × 10¹², before rounding. */
function scaledCost(price: PriceModel, units: number): bigint {
  if (units <= 0) return 0n;
  const n = BigInt(units);
  switch (price.model) {
    case 'per_unit':
      return n * decimalToScaled(price.unitAmountDecimal);
    case 'package': {
      const packages = (n + BigInt(price.packageSize) - 1n) / BigInt(price.packageSize);
      return packages * BigInt(price.amountCents) * SCALE;
    }
    case 'graduated': {
      let total = 0n;
      let from = 0;
      for (const t of price.tiers) {
        if (from >= units) break;
        const to = t.upTo === null ? units : Math.min(units, t.upTo);
        if (to > from) {
          total +=
            BigInt(to - from) * decimalToScaled(t.unitAmountDecimal) + BigInt(t.flatAmountCents) * SCALE;
        }
        from = t.upTo ?? units;
      }
      return total;
    }
    case 'volume': {
      const tier = price.tiers.find((t) => t.upTo === null || units <= t.upTo) as Tier;
      return n * decimalToScaled(tier.unitAmountDecimal) + BigInt(tier.flatAmountCents) * SCALE;
    }
  }
}

export interface RatedLine {
  key: string;
  /** Billable units of the period (what credits did not pay). */
  units: number;
  /** Of those, the line's included units used. */
  includedUsed: number;
  /** Units priced. */
  priced: number;
  cents: Cents;
}

/** A line's period cost: its included units are free, the rest priced, rounded once. */
export function rateLine(line: RateLine, billableUnits: number): RatedLine {
  const units = Math.max(0, billableUnits);
  const includedUsed = Math.min(units, line.included);
  const priced = units - includedUsed;
  return {
    key: lineKey(line),
    units,
    includedUsed,
    priced,
    cents: roundScaled(scaledCost(line.price, priced)),
  };
}

/**
 * A period's usage cost: each line rated on its period total (units by line key), in the card's order.
 * Units under a key the card no longer has are rated by the pool line (a plan changed mid-period).
 */
export function rateUsage(
  lines: readonly RateLine[],
  unitsByKey: ReadonlyMap<string, number>,
): { lines: RatedLine[]; cents: Cents } {
  const byKey = new Map(lines.map((l) => [lineKey(l), l]));
  const pool = byKey.get(POOL_LINE_KEY);
  const totals = new Map<string, number>();
  for (const [key, units] of unitsByKey) {
    const target = byKey.has(key) ? key : pool ? POOL_LINE_KEY : null;
    if (target) totals.set(target, (totals.get(target) ?? 0) + units);
  }
  const rated: RatedLine[] = [];
  for (const l of lines) {
    const units = totals.get(lineKey(l));
    if (units !== undefined) rated.push(rateLine(l, units));
  }
  return { lines: rated, cents: rated.reduce((sum, r) => sum + r.cents, 0) };
}
