import type { Cents } from './money';

/**
 * A plan version's rate card: how the units a period's usage leaves billable are priced, per usage type and
 * optionally per dimension of the event's metadata (`model`, `direction`…), and what BYOK usage costs.
 *
 * The plan's own included credits and overage price are the card's **pool line** (`*`): it prices every
 * hosted usage type no line of the card names, and prepaid credits pay only what the pool prices. A type a
 * line names leaves the pool whole: its events draw no included or prepaid credits and are billed by the
 * most specific of its lines, from the first unit past that line's own included units. BYOK usage is free
 * unless a `byok` line prices it (a platform fee).
 *
 * What a line costs is in rate-card-rating.ts; how the API reads and shows a card, in rate-card-wire.ts.
 */

export type PriceModel =
  | { model: 'per_unit'; unitAmountDecimal: string }
  | { model: 'package'; packageSize: number; amountCents: Cents }
  | { model: 'graduated' | 'volume'; tiers: Tier[] };

export interface Tier {
  /** The tier's last unit; null for the last tier (no end). */
  upTo: number | null;
  /** Cents per unit, as a decimal string (Stripe's `unit_amount_decimal`): "0.2" is $2 per 1,000. */
  unitAmountDecimal: string;
  /** Cents added once when any unit falls in the tier (graduated) or the total does (volume). */
  flatAmountCents: Cents;
}

export interface RateLine {
  /** A usage type; `*` only on a BYOK line (every BYOK type). */
  usageType: string;
  /** Metadata dimensions an event must carry, each with exactly this string value. */
  match: Record<string, string>;
  byok: boolean;
  /** Units free each period before the price applies. */
  included: number;
  price: PriceModel;
}

export const POOL_LINE_KEY = '*';

/** A line's stable name: what rollups, views and invoices group by. */
export function lineKey(line: Pick<RateLine, 'usageType' | 'match' | 'byok'>): string {
  const dims = Object.keys(line.match)
    .sort()
    .map((k) => `${k}=${line.match[k]}`);
  return `${line.byok ? 'byok:' : ''}${line.usageType}${dims.length ? `[${dims.join(',')}]` : ''}`;
}

/** The pool line of a plan: its included credits per period, then its overage price per 1,000 units. */
export function poolLine(includedPerPeriod: number, overagePer1kCents: Cents): RateLine {
  return {
    usageType: POOL_LINE_KEY,
    match: {},
    byok: false,
    included: Math.max(0, includedPerPeriod),
    price: { model: 'per_unit', unitAmountDecimal: per1kAsUnitDecimal(overagePer1kCents) },
  };
}

/** 200¢ per 1,000 as the per-unit decimal "0.2". */
export function per1kAsUnitDecimal(per1kCents: Cents): string {
  if (!Number.isSafeInteger(per1kCents) || per1kCents < 0) throw new RangeError(`bad price ${per1kCents}`);
  const whole = Math.floor(per1kCents / 1000);
  const frac = String(per1kCents % 1000)
    .padStart(3, '0')
    .replace(/0+$/, '');
  return frac ? `${whole}.${frac}` : String(whole);
}

/** Hosted usage types a card's lines take out of the credit pool. */
export function unpooledTypes(lines: readonly RateLine[]): Set<string> {
  return new Set(lines.filter((l) => !l.byok && l.usageType !== POOL_LINE_KEY).map((l) => l.usageType));
}

/** Whether a plan version bills usage at all: an overage price for its pool, or lines of its own. */
export const billsUsage = (plan: { overagePer1kCents: number; rateCard?: readonly RateLine[] }): boolean =>
  plan.overagePer1kCents > 0 || (plan.rateCard ?? []).length > 0;

/** Whether a card prices BYOK usage at all (otherwise BYOK events are never rolled up). */
export const pricesByok = (lines: readonly RateLine[]): boolean => lines.some((l) => l.byok);

export interface RatedEvent {
  type: string;
  byok: boolean;
  metadata: Readonly<Record<string, unknown>>;
}

/**
 * The line that prices an event, or null (BYOK usage no line prices: free). Among the lines of the event's
 * kind (hosted or BYOK) whose type and every dimension match, the most specific wins: a named type over
 * `*`, then more dimensions; the first listed breaks a tie. Hosted usage of a type no line names is the
 * pool's. Only string metadata values match.
 */
export function lineFor(lines: readonly RateLine[], event: RatedEvent): RateLine | null {
  let best: RateLine | null = null;
  let bestScore = -1;
  for (const l of lines) {
    if (l.byok !== event.byok) continue;
    if (l.usageType !== event.type && l.usageType !== POOL_LINE_KEY) continue;
    let ok = true;
    for (const [k, v] of Object.entries(l.match)) {
      if (event.metadata[k] !== v) {
        ok = false;
        break;
      }
    }
    if (!ok) continue;
    const score = (l.usageType === POOL_LINE_KEY ? 0 : 1000) + Object.keys(l.match).length;
    if (score > bestScore) {
      best = l;
      bestScore = score;
    }
  }
  return best;
}

/** A card's effective lines: the plan's pool line first, then the card's own. */
export function effectiveRateCard(
  card: readonly RateLine[],
  includedPerPeriod: number,
  overagePer1kCents: Cents,
): RateLine[] {
  return [poolLine(includedPerPeriod, overagePer1kCents), ...card];
}
