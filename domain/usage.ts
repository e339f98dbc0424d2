import { divRound, type Cents } from './money';
import { monthsPerPeriod, type BillingInterval } from './plan-change';

/** Usage types every deployment knows; the usage views report per type under these names. */
export const DEFAULT_USAGE_TYPES = ['inference', 'embedding', 'tts', 'stt'] as const;

/** A type name as stored in `usage_events.type` (32 characters at most). */
export const USAGE_TYPE_PATTERN = /^[a-z][a-z0-9_-]{0,31}$/;

/** Most events one report_usage request may carry. */
export const MAX_EVENTS_PER_REQUEST = 1000;

/**
 * Most units one event may carry. A unit is one API call's worth of credits; a gateway reporting a million
 * in one event is a bug or an attack, and at the dearest overage price it is already thousands of dollars.
 */
export const MAX_QUANTITY_PER_EVENT = 1_000_000;

/** Most units one report_usage request may carry in all; a request over it is refused whole. */
export const MAX_QUANTITY_PER_REQUEST = 10_000_000;

/** Clocks drift: a timestamp up to this far ahead of ours is taken as "now", further is refused. */
export const MAX_FUTURE_SKEW_MS = 5 * 60 * 1000;

/**
 * `rollup_id` of usage that ran on the customer's own provider key: such events are kept (BYOK stats) but
 * never billed, and the marker keeps them out of the rollup's scan of unreported events.
 */
export const BYOK_ROLLUP_MARK = 'byok';

/**
 * `rollup_id` of an event whose token kinds were priced on lines of their own (domain/token-parts.ts): its
 * units went into several rollups, each kind's recorded in usage_event_parts.
 */
export const PARTS_ROLLUP_MARK = 'parts';

export interface CreditsInput {
  tier: string | null;
  includedCredits: number;
  overagePer1kCents: number;
  /** Units counted against credits this billing period (BYOK usage excluded). */
  used: number;
  /** Of those, units prepaid credit grants paid for (never overage); 0 when none. */
  prepaid?: number;
}

export interface Credits {
  tier: string | null;
  included: number;
  used: number;
  remaining: number;
  overage: number;
  overageCostCents: Cents;
  pricePer1kCents: Cents;
}

/**
 * What a period's usage costs beyond the plan's included credits and what prepaid credits paid, in integer
 * cents: overage units are priced per thousand and the product is rounded once, half away from zero
 * (85 units at 200¢/1k = 17¢).
 */
export function creditsFor(input: CreditsInput): Credits {
  const included = Math.max(0, input.includedCredits);
  const used = Math.max(0, input.used);
  const overage = Math.max(0, used - included - Math.max(0, input.prepaid ?? 0));
  return {
    tier: input.tier,
    included,
    used,
    remaining: Math.max(0, included - used),
    overage,
    overageCostCents: overage === 0 ? 0 : divRound(overage * input.overagePer1kCents, 1000),
    pricePer1kCents: input.overagePer1kCents,
  };
}

/** The start of the rollup window that holds `atMs`; windows are aligned to the epoch. */
export function windowStartOf(atMs: number, windowMs: number): number {
  return atMs - (((atMs % windowMs) + windowMs) % windowMs);
}

/**
 * The name a rollup is reported under (Stripe meter event `identifier`, Lago `transaction_id`). It is
 * fixed when the rollup row is written, so every retry reports the same name and the receiver drops the
 * repeat. Late events for a window already rolled up form a further rollup with a sequence suffix.
 */
export function rollupIdentifier(customerId: string, type: string, windowStartMs: number, seq = 1): string {
  const base = `${customerId}:${type}:${new Date(windowStartMs).toISOString()}`;
  return seq <= 1 ? base : `${base}#${seq}`;
}

/** Whole seconds from `now` until `until`, at least 1 (the value of a Retry-After header). */
export function secondsUntil(until: Date, now: Date): number {
  return Math.max(1, Math.ceil((until.getTime() - now.getTime()) / 1000));
}

/** Plans state included credits per month; a yearly billing period includes twelve months of them. */
export function includedCreditsPerPeriod(monthlyCredits: number, interval: BillingInterval): number {
  return Math.max(0, monthlyCredits) * monthsPerPeriod(interval);
}

/** A price per 1,000 units in cents as the exact per-unit decimal Stripe takes (200 → "0.2", 150 → "0.15"). */
export function perUnitCentsDecimal(per1kCents: number): string {
  if (!Number.isInteger(per1kCents) || per1kCents < 0) throw new RangeError(`bad price ${per1kCents}`);
  const whole = Math.floor(per1kCents / 1000);
  const frac = String(per1kCents % 1000)
    .padStart(3, '0')
    .replace(/0+$/, '');
  return frac ? `${whole}.${frac}` : String(whole);
}

const DAY_MS = 24 * 60 * 60 * 1000;

/** Usage days are UTC days: the quota resets at 00:00 UTC. */
export function utcDay(at = new Date()): { day: string; resetsAt: Date } {
  // A Date counts no leap seconds: every UTC day is DAY_MS long, so its midnight is arithmetic.
  const ms = at.getTime();
  const midnight = ms - (((ms % DAY_MS) + DAY_MS) % DAY_MS);
  return { day: at.toISOString().slice(0, 10), resetsAt: new Date(midnight + DAY_MS) };
}
