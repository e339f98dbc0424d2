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
 * Rounding, stated once: a line's period cost is computed exactly (decimal prices with up to 12 places,
 * in integer arithmetic) and rounded once to whole cents, half up; the period's usage cost is the sum of
 * its lines' cents. Rating takes a line's period total, so how events were batched or ordered never
 * changes the cents.
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
export const MAX_RATE_LINES = 100;
export const MAX_TIERS = 20;
export const MAX_MATCH_KEYS = 4;
export const RATE_DIMENSION_PATTERN = /^[a-z][a-z0-9_.-]{0,31}$/;
/** Up to 9 whole digits and 12 decimals: a billion cents per unit is already absurd, 1e-12¢ is a token's share. */
export const UNIT_AMOUNT_PATTERN = /^\d{1,9}(\.\d{1,12})?$/;
const MAX_UNITS = 1_000_000_000_000;
const MAX_CENTS = 1_000_000_000;

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

/** Fixed-point scale of decimal prices: 12 places. */
const SCALE = 10n ** 12n;

function decimalToScaled(decimal: string): bigint {
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

/** A card's effective lines: the plan's pool line first, then the card's own. */
export function effectiveRateCard(
  card: readonly RateLine[],
  includedPerPeriod: number,
  overagePer1kCents: Cents,
): RateLine[] {
  return [poolLine(includedPerPeriod, overagePer1kCents), ...card];
}

// ---- validation of a card as an admin sends it ----

export interface RateCardProblem {
  /** The path of the field at fault, e.g. `rate_card.2.price.tiers.1.up_to`. */
  field: string;
  message: string;
}

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);
const wholeIn = (v: unknown, min: number, max: number): v is number =>
  typeof v === 'number' && Number.isSafeInteger(v) && v >= min && v <= max;
const PRINTABLE_VALUE = /^[\x21-\x7e]{1,64}$/;

/**
 * Reads a rate card as the plans API receives it (snake_case), refusing the first problem with the field
 * at fault. Each hosted type a dimension line names must also have a line of its own with no dimensions,
 * so every event of a type taken out of the pool has a price.
 */
export function parseRateCard(input: unknown, path = 'rate_card'): { lines: RateLine[] } | RateCardProblem {
  if (!Array.isArray(input)) return { field: path, message: 'must be a list of lines' };
  if (input.length > MAX_RATE_LINES) return { field: path, message: `at most ${MAX_RATE_LINES} lines` };
  const lines: RateLine[] = [];
  const keys = new Set<string>();
  for (let i = 0; i < input.length; i++) {
    const at = `${path}.${i}`;
    const raw: unknown = input[i];
    if (!isRecord(raw)) return { field: at, message: 'must be an object' };
    // `key` is what the API shows of a line; a card read back and sent again carries it, and it is derived.
    const unknownKey = Object.keys(raw).find(
      (k) => !['key', 'usage_type', 'match', 'byok', 'included', 'price'].includes(k),
    );
    if (unknownKey) return { field: `${at}.${unknownKey}`, message: 'is not a field of a rate line' };
    const byok = raw.byok ?? false;
    if (typeof byok !== 'boolean') return { field: `${at}.byok`, message: 'must be true or false' };
    const type = raw.usage_type;
    if (typeof type !== 'string' || !(type === POOL_LINE_KEY ? byok : /^[a-z][a-z0-9_-]{0,31}$/.test(type)))
      return {
        field: `${at}.usage_type`,
        message:
          type === POOL_LINE_KEY
            ? '"*" is the plan\'s own credits; only a BYOK line may name every type'
            : 'must be a usage type name',
      };
    const matchRaw = raw.match ?? {};
    if (!isRecord(matchRaw))
      return { field: `${at}.match`, message: 'must be an object of dimension: value' };
    const entries = Object.entries(matchRaw);
    if (entries.length > MAX_MATCH_KEYS)
      return { field: `${at}.match`, message: `at most ${MAX_MATCH_KEYS} dimensions` };
    const match: Record<string, string> = {};
    for (const [k, v] of entries) {
      if (!RATE_DIMENSION_PATTERN.test(k))
        return { field: `${at}.match`, message: `"${k.slice(0, 40)}" is not a dimension name` };
      if (typeof v !== 'string' || !PRINTABLE_VALUE.test(v))
        return { field: `${at}.match.${k}`, message: 'must be 1 to 64 printable characters without spaces' };
      match[k] = v;
    }
    const included = raw.included ?? 0;
    if (!wholeIn(included, 0, MAX_UNITS))
      return { field: `${at}.included`, message: 'must be a whole number of units' };
    const price = parsePrice(raw.price, `${at}.price`);
    if ('field' in price) return price;
    const line: RateLine = { usageType: type, match, byok, included, price };
    const key = lineKey(line);
    if (keys.has(key)) return { field: at, message: `a line for ${key} is already on the card` };
    keys.add(key);
    lines.push(line);
  }
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i] as RateLine;
    if (l.byok || Object.keys(l.match).length === 0) continue;
    if (!keys.has(l.usageType))
      return {
        field: `${path}.${i}.match`,
        message: `"${l.usageType}" also needs a line with no dimensions: it prices the type's other events`,
      };
  }
  return { lines };
}

function parsePrice(raw: unknown, at: string): PriceModel | RateCardProblem {
  if (!isRecord(raw)) return { field: at, message: 'must be an object with a model' };
  const allowed: Record<string, string[]> = {
    per_unit: ['model', 'unit_amount_decimal'],
    package: ['model', 'package_size', 'amount_cents'],
    graduated: ['model', 'tiers'],
    volume: ['model', 'tiers'],
  };
  const model = raw.model;
  if (typeof model !== 'string' || !(model in allowed))
    return { field: `${at}.model`, message: 'must be per_unit, package, graduated or volume' };
  const extra = Object.keys(raw).find((k) => !(allowed[model] as string[]).includes(k));
  if (extra) return { field: `${at}.${extra}`, message: `is not a field of a ${model} price` };
  if (model === 'per_unit') {
    const d = raw.unit_amount_decimal;
    if (typeof d !== 'string' || !UNIT_AMOUNT_PATTERN.test(d))
      return {
        field: `${at}.unit_amount_decimal`,
        message: 'must be cents per unit as a decimal string, e.g. "0.2"',
      };
    return { model, unitAmountDecimal: d };
  }
  if (model === 'package') {
    if (!wholeIn(raw.package_size, 1, MAX_UNITS))
      return { field: `${at}.package_size`, message: 'must be a whole number of units, at least 1' };
    if (!wholeIn(raw.amount_cents, 0, MAX_CENTS))
      return { field: `${at}.amount_cents`, message: 'must be whole cents' };
    return { model, packageSize: raw.package_size, amountCents: raw.amount_cents };
  }
  const tiersRaw = raw.tiers;
  if (!Array.isArray(tiersRaw) || tiersRaw.length === 0 || tiersRaw.length > MAX_TIERS)
    return { field: `${at}.tiers`, message: `must list 1 to ${MAX_TIERS} tiers` };
  const tiers: Tier[] = [];
  let last = 0;
  for (let i = 0; i < tiersRaw.length; i++) {
    const tat = `${at}.tiers.${i}`;
    const t: unknown = tiersRaw[i];
    if (!isRecord(t)) return { field: tat, message: 'must be an object' };
    const extraT = Object.keys(t).find(
      (k) => !['up_to', 'unit_amount_decimal', 'flat_amount_cents'].includes(k),
    );
    if (extraT) return { field: `${tat}.${extraT}`, message: 'is not a field of a tier' };
    const isLast = i === tiersRaw.length - 1;
    const upTo = t.up_to ?? null;
    if (isLast ? upTo !== null : !wholeIn(upTo, last + 1, MAX_UNITS))
      return {
        field: `${tat}.up_to`,
        message: isLast ? 'the last tier has no end: null' : 'must be a whole number above the tier before',
      };
    const d = t.unit_amount_decimal ?? '0';
    if (typeof d !== 'string' || !UNIT_AMOUNT_PATTERN.test(d))
      return { field: `${tat}.unit_amount_decimal`, message: 'must be cents per unit as a decimal string' };
    const flat = t.flat_amount_cents ?? 0;
    if (!wholeIn(flat, 0, MAX_CENTS))
      return { field: `${tat}.flat_amount_cents`, message: 'must be whole cents' };
    tiers.push({ upTo: upTo as number | null, unitAmountDecimal: d, flatAmountCents: flat });
    if (upTo !== null) last = upTo as number;
  }
  return { model: model as 'graduated' | 'volume', tiers };
}

/** A card as the API shows it (snake_case), the inverse of parseRateCard. */
export function rateCardView(lines: readonly RateLine[]): Record<string, unknown>[] {
  return lines.map((l) => ({
    key: lineKey(l),
    usage_type: l.usageType,
    match: l.match,
    byok: l.byok,
    included: l.included,
    price:
      l.price.model === 'per_unit'
        ? { model: 'per_unit', unit_amount_decimal: l.price.unitAmountDecimal }
        : l.price.model === 'package'
          ? { model: 'package', package_size: l.price.packageSize, amount_cents: l.price.amountCents }
          : {
              model: l.price.model,
              tiers: l.price.tiers.map((t) => ({
                up_to: t.upTo,
                unit_amount_decimal: t.unitAmountDecimal,
                flat_amount_cents: t.flatAmountCents,
              })),
            },
  }));
}
