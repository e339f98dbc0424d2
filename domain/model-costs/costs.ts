import type { Cents } from '../money';

/**
 * What model calls cost the platform: a dated catalogue of provider prices per million tokens (kept in the
 * repository, catalogue.json), overridden per model by an admin's negotiated rate from its own date. A rate
 * applies to usage from the UTC day it takes effect, so adding one never changes what earlier usage cost.
 *
 * Costs are summed exactly, in picocents (10⁻¹² cent: a token at a rate of up to six decimal places of a
 * cent per million is a whole number of them), and rounded to cents once, where a report shows them.
 */

export const TOKEN_KINDS = ['input', 'cached', 'output', 'reasoning'] as const;
export type TokenKind = (typeof TOKEN_KINDS)[number];
export type TokenCounts = Record<TokenKind, number>;

/** Cents per million tokens, as decimal text ("250" is $2.50 per million, "7.5" is $0.075). */
export type RateText = string;

export interface ModelRate {
  model: string;
  provider: string;
  /** The UTC day it takes effect, YYYY-MM-DD. */
  validFrom: string;
  rates: Record<TokenKind, RateText>;
  source: 'catalogue' | 'override';
  /** Why an admin set it (overrides only). */
  reason: string | null;
}

export const MODEL_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._:/@+-]{0,99}$/;
const RATE_PATTERN = /^(0|[1-9]\d{0,7})(\.\d{1,6})?$/;
const DAY_PATTERN = /^\d{4}-\d{2}-\d{2}$/;
const PICO_PER_CENT = 1_000_000_000_000n;

export const noTokens = (): TokenCounts => ({ input: 0, cached: 0, output: 0, reasoning: 0 });

/** A rate's text as micro-cents per million tokens, which times tokens is picocents; null if malformed. */
export function parseRate(text: unknown): bigint | null {
  if (typeof text !== 'string' || !RATE_PATTERN.test(text)) return null;
  const [whole = '0', frac = ''] = text.split('.');
  return BigInt(whole) * 1_000_000n + BigInt(frac.padEnd(6, '0'));
}

/** Whether `day` is a real calendar day written YYYY-MM-DD. */
export function isDay(day: unknown): day is string {
  if (typeof day !== 'string' || !DAY_PATTERN.test(day)) return false;
  const d = new Date(`${day}T00:00:00Z`);
  return !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === day;
}

export const dayOf = (at: Date): string => at.toISOString().slice(0, 10);

/**
 * Why a negotiated rate cannot take effect on `validFrom`, or null when it can: a day already begun (today
 * included) has usage costed at its rate, and history is never rewritten.
 */
export function costDayRefusal(validFrom: string, today: string): string | null {
  return validFrom <= today
    ? `valid_from must be after ${today}: usage up to today is already costed, and history is never rewritten`
    : null;
}

/**
 * The catalogue's rows, checked: a malformed row is an error in the repository, not something to cost
 * with. Rows of one model must not share a day (which would be in force is then unclear).
 */
export function catalogueRates(data: unknown): ModelRate[] {
  const rows = (data as { models?: unknown })?.models;
  if (!Array.isArray(rows)) throw new Error('model cost catalogue: no models list');
  const seen = new Set<string>();
  return rows.map((row: Record<string, unknown>, i) => {
    const where = `model cost catalogue row ${i}`;
    if (typeof row.model !== 'string' || !MODEL_PATTERN.test(row.model)) throw new Error(`${where}: model`);
    if (typeof row.provider !== 'string' || row.provider === '') throw new Error(`${where}: provider`);
    if (!isDay(row.valid_from)) throw new Error(`${where}: valid_from`);
    const key = `${row.model}|${row.valid_from}`;
    if (seen.has(key)) throw new Error(`${where}: ${row.model} has two rows for ${row.valid_from}`);
    seen.add(key);
    const reasoning = row.reasoning ?? row.output;
    const rates = { input: row.input, cached: row.cached, output: row.output, reasoning };
    for (const [kind, text] of Object.entries(rates)) {
      if (parseRate(text) === null) throw new Error(`${where}: ${kind} rate`);
    }
    return {
      model: row.model,
      provider: row.provider,
      validFrom: row.valid_from,
      rates: rates as Record<TokenKind, RateText>,
      source: 'catalogue' as const,
      reason: null,
    };
  });
}

/**
 * The rate a model's usage of `day` is costed at: the admin's latest override in effect that day, else
 * the catalogue's latest row in effect; null for a model neither knows (its usage is reported uncosted).
 */
export function rateOn(rates: readonly ModelRate[], model: string, day: string): ModelRate | null {
  let override: ModelRate | null = null;
  let listed: ModelRate | null = null;
  for (const r of rates) {
    if (r.model !== model || r.validFrom > day) continue;
    if (r.source === 'override') {
      if (!override || r.validFrom >= override.validFrom) override = r;
    } else if (!listed || r.validFrom > listed.validFrom) listed = r;
  }
  return override ?? listed;
}

/** Each model's rate in effect on `day` (overrides applied), and the ones that take effect after it. */
export function ratesInEffect(rates: readonly ModelRate[], day: string) {
  const models = [...new Set(rates.map((r) => r.model))].sort();
  return models.map((model) => ({
    model,
    current: rateOn(rates, model, day),
    scheduled: rates
      .filter((r) => r.model === model && r.validFrom > day)
      .sort((a, b) => a.validFrom.localeCompare(b.validFrom)),
  }));
}

/** What `tokens` of each kind cost at `rate`, in picocents. */
export function tokenCost(rate: ModelRate, tokens: TokenCounts): bigint {
  let pico = 0n;
  for (const kind of TOKEN_KINDS) {
    if (tokens[kind] > 0) pico += BigInt(tokens[kind]) * (parseRate(rate.rates[kind]) ?? 0n);
  }
  return pico;
}

/** Picocents to whole cents, half away from zero. */
export function picoToCents(pico: bigint): Cents {
  const negative = pico < 0n;
  const abs = negative ? -pico : pico;
  const cents = Number((abs + PICO_PER_CENT / 2n) / PICO_PER_CENT);
  return negative ? -cents : cents;
}

/**
 * Why a usage event's `metadata.tokens` cannot be costed, or null when it can: an object of token counts
 * by kind (input, cached, output, reasoning), each a whole number from 0 to `max`, at least one of them.
 */
export function tokenCountsProblem(value: unknown, max: number): string | null {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    return 'must be an object of token counts by kind (input, cached, output, reasoning)';
  }
  const entries = Object.entries(value);
  if (entries.length === 0) return 'must name at least one kind of token';
  for (const [kind, n] of entries) {
    if (!(TOKEN_KINDS as readonly string[]).includes(kind)) {
      return `has an unknown kind "${kind.slice(0, 40)}": the kinds are input, cached, output and reasoning`;
    }
    if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < 0 || n > max) {
      return `${kind} must be a whole number of tokens from 0 to ${max}`;
    }
  }
  return null;
}

/** Usage events of one customer, day and model summed, as a store reads them for costing. */
export interface UsageCostGroup {
  customerId: string;
  day: string;
  byok: boolean;
  /** The usage type, and all the units of the events (what a rate card prices). */
  type: string;
  quantity: number;
  model: string | null;
  /** metadata.direction, which names the kind of an event's units when it carries no token counts. */
  direction: string | null;
  /** Units of the events that carried no token counts. */
  untokened: number;
  /** Token counts of the events that carried them. */
  tokens: TokenCounts;
}

export interface ModelUsageCost {
  customerId: string;
  model: string | null;
  provider: string | null;
  /** Hosted tokens costed, by kind. */
  tokens: TokenCounts;
  pico: bigint;
  /** Hosted units that could not be costed: no model, a model with no rate that day, or no kind. */
  uncosted: number;
  /** Units served on the customer's own key: the platform pays the provider nothing for them. */
  byok: number;
}

/**
 * What each customer's usage of each model cost the platform. Usage on the customer's own key (BYOK)
 * costs nothing; events with token counts are costed kind by kind at the rate of their day; events
 * without are costed as their `direction` kind when it names one; the rest are reported uncosted, never
 * guessed.
 */
export function costUsage(groups: readonly UsageCostGroup[], rates: readonly ModelRate[]): ModelUsageCost[] {
  const out = new Map<string, ModelUsageCost>();
  for (const g of groups) {
    const key = `${g.customerId}|${g.model ?? ''}`;
    let row = out.get(key);
    if (!row) {
      row = {
        customerId: g.customerId,
        model: g.model,
        provider: null,
        tokens: noTokens(),
        pico: 0n,
        uncosted: 0,
        byok: 0,
      };
      out.set(key, row);
    }
    const tokenTotal = TOKEN_KINDS.reduce((s, k) => s + g.tokens[k], 0);
    if (g.byok) {
      row.byok += g.untokened + tokenTotal;
      continue;
    }
    const rate = g.model === null ? null : rateOn(rates, g.model, g.day);
    if (!rate) {
      row.uncosted += g.untokened + tokenTotal;
      continue;
    }
    row.provider = rate.provider;
    const counts = { ...g.tokens };
    const kind = TOKEN_KINDS.find((k) => k === g.direction);
    if (kind) counts[kind] += g.untokened;
    else row.uncosted += g.untokened;
    for (const k of TOKEN_KINDS) row.tokens[k] += counts[k];
    row.pico += tokenCost(rate, counts);
  }
  return [...out.values()];
}

/**
 * `cents` split over `weights` in proportion, in whole cents that add up to it exactly: each share
 * rounded down, the cents left over going to the largest remainders (ties by name).
 */
export function allocate(cents: Cents, weights: ReadonlyMap<string, number>): Map<string, Cents> {
  const total = [...weights.values()].reduce((s, w) => s + w, 0);
  const out = new Map<string, Cents>();
  if (total <= 0) return out;
  const parts = [...weights.entries()].map(([name, w]) => {
    const exact = (cents * w) / total;
    return { name, whole: Math.floor(exact), rest: exact - Math.floor(exact) };
  });
  let left = cents - parts.reduce((s, p) => s + p.whole, 0);
  parts.sort((a, b) => b.rest - a.rest || a.name.localeCompare(b.name));
  for (const p of parts) {
    out.set(p.name, p.whole + (left > 0 ? 1 : 0));
    if (left > 0) left -= 1;
  }
  return out;
}

/** Margin as a share of revenue, in percent to one decimal; null without revenue. */
export function marginPercent(revenueCents: Cents, costCents: Cents): number | null {
  if (revenueCents <= 0) return null;
  return Math.round(((revenueCents - costCents) / revenueCents) * 1000) / 10;
}
