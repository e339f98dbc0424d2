import { lineKey, POOL_LINE_KEY, type PriceModel, type RateLine, type Tier } from './rate-card';

/*
 * A rate card as the plans API receives and shows it (snake_case): what an admin may send, refused at the
 * first field at fault, and the inverse view.
 */

export const MAX_RATE_LINES = 100;
export const MAX_TIERS = 20;
export const MAX_MATCH_KEYS = 4;
export const RATE_DIMENSION_PATTERN = /^[a-z][a-z0-9_.-]{0,31}$/;
/** Up to 9 whole digits and 12 decimals: a billion cents per unit is already absurd, 1e-12¢ is a token's share. */
export const UNIT_AMOUNT_PATTERN = /^\d{1,9}(\.\d{1,12})?$/;
const MAX_UNITS = 1_000_000_000_000;
const MAX_CENTS = 1_000_000_000;

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
