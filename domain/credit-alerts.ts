import { overageCost } from './credit-usage';

/** The alert thresholds a customer can set, each overriding their plan's default, then the engine's. */
export interface AlertThresholds {
  /** Tell me when this share (percent) of the period's included credits is used. */
  includedPercent: number | null;
  /** Tell me when my prepaid balance falls below this many credits. */
  balanceBelow: number | null;
  /** Tell me when this period's overage costs this many cents. */
  overageCents: number | null;
}

export type ThresholdSource = 'customer' | 'plan' | 'engine';

/** What every customer gets unless their plan or they say otherwise: a word at 80 % of included credits. */
export const ENGINE_ALERT_DEFAULTS: AlertThresholds = {
  includedPercent: 80,
  balanceBelow: null,
  overageCents: null,
};

/** Each threshold in force, and whose it is: the customer's own, their plan's default, or the engine's. */
export function effectiveAlerts(
  own: { [K in keyof AlertThresholds]?: number | null },
  plan: { [K in keyof AlertThresholds]?: number | null },
): { [K in keyof AlertThresholds]: { value: number | null; source: ThresholdSource } } {
  const pick = <K extends keyof AlertThresholds>(k: K) =>
    own[k] != null
      ? { value: own[k] as number, source: 'customer' as const }
      : plan[k] != null
        ? { value: plan[k] as number, source: 'plan' as const }
        : { value: ENGINE_ALERT_DEFAULTS[k], source: 'engine' as const };
  return {
    includedPercent: pick('includedPercent'),
    balanceBelow: pick('balanceBelow'),
    overageCents: pick('overageCents'),
  };
}

/** Business events an alert crossing records, for the notifications outbox and the outgoing webhooks. */
export type AlertEvent =
  'usage.threshold_reached' | 'credits.low' | 'usage.overage_reached' | 'spend_cap.reached';

/** Where a customer stands this period, as the alerts compare it. */
export interface AlertState {
  included: number;
  includedUsed: number;
  /** Null for a customer who never had a prepaid grant: a zero balance is then no news. */
  prepaidBalance: number | null;
  overageCents: number;
  /** The spend cap, and whether it refuses the next unit of overage now (a blocking one). */
  cap: { cents: number; mode: 'block' | 'notify'; refusing: boolean } | null;
}

/**
 * The alerts crossed now, each with what it was crossed at. Level-triggered: the caller records each once
 * per period (credits.low once per newest grant), so asking again after a crossing changes nothing.
 */
export function crossedAlerts(
  state: AlertState,
  thresholds: AlertThresholds,
): { event: AlertEvent; threshold: number; value: number }[] {
  const out: { event: AlertEvent; threshold: number; value: number }[] = [];
  const pct = thresholds.includedPercent;
  if (pct !== null && state.included > 0 && state.includedUsed * 100 >= pct * state.included)
    out.push({ event: 'usage.threshold_reached', threshold: pct, value: state.includedUsed });
  const low = thresholds.balanceBelow;
  if (low !== null && state.prepaidBalance !== null && state.prepaidBalance < low)
    out.push({ event: 'credits.low', threshold: low, value: state.prepaidBalance });
  const over = thresholds.overageCents;
  if (over !== null && state.overageCents >= over && state.overageCents > 0)
    out.push({ event: 'usage.overage_reached', threshold: over, value: state.overageCents });
  const cap = state.cap;
  if (
    cap &&
    (cap.mode === 'block' ? cap.refusing : state.overageCents >= cap.cents && state.overageCents > 0)
  )
    out.push({ event: 'spend_cap.reached', threshold: cap.cents, value: state.overageCents });
  return out;
}

/** Where a customer stands, as far as further usage can move it towards a threshold. */
export interface AlertDistance extends AlertState {
  /** Units billed as overage this period, and what a thousand cost. */
  overageUnits: number;
  overagePer1kCents: number;
  /** An automatic top-up's threshold, when it is on: a balance under it is due a top-up. */
  topUpBelow: number | null;
  /** The prepaid balance the top-up compares (0 for a customer who never had a grant). */
  balance: number;
}

/**
 * The fewest units of further usage that could cross a threshold not crossed now, or null when usage
 * cannot cross any; 0 when every report must be looked at (a balance already under its top-up threshold).
 * Each unit is counted as if it were drawn from the included credits, from the prepaid balance and billed
 * as overage all at once, so however the units are paid, none is crossed before this many: the alerts
 * need no look at where a customer stands until then (services/credits/alerts.ts). A threshold crossed
 * now is no longer counted: it is told once a period (credits.low once a grant); nor is one no balance can
 * go under (0).
 */
export function unitsToNextAlert(d: AlertDistance, thresholds: AlertThresholds): number | null {
  const needs: number[] = [];
  const pct = thresholds.includedPercent;
  if (pct !== null && d.included > 0 && d.includedUsed * 100 < pct * d.included)
    needs.push(Math.ceil((pct * d.included - d.includedUsed * 100) / 100));
  const low = thresholds.balanceBelow;
  if (low !== null && low > 0 && d.prepaidBalance !== null && d.prepaidBalance >= low)
    needs.push(d.prepaidBalance - low + 1);
  const over = thresholds.overageCents;
  if (over !== null && !(d.overageCents >= over && d.overageCents > 0)) needs.push(unitsToCost(d, over));
  if (d.cap?.mode === 'notify' && !(d.overageCents >= d.cap.cents && d.overageCents > 0))
    needs.push(unitsToCost(d, d.cap.cents));
  // A blocking cap refuses once one more unit's exact cost would pass it (overageFitsCap).
  if (d.cap?.mode === 'block' && !d.cap.refusing && d.overagePer1kCents > 0)
    needs.push(Math.max(1, Math.floor((d.cap.cents * 1000) / d.overagePer1kCents) - d.overageUnits));
  if (d.topUpBelow !== null && d.topUpBelow > 0) needs.push(Math.max(0, d.balance - d.topUpBelow + 1));
  const finite = needs.filter(Number.isFinite);
  return finite.length === 0 ? null : Math.max(0, Math.min(...finite));
}

/** The fewest more units of overage whose rounded cost reaches `cents` (at least 1¢), or Infinity. */
function unitsToCost(d: AlertDistance, cents: number): number {
  const per1k = d.overagePer1kCents;
  if (per1k <= 0) return Infinity;
  const target = Math.max(1, cents);
  // Rounded half up: a cost of `target` needs target - ½ exactly; the loops settle the float's last unit.
  let units = Math.max(d.overageUnits + 1, Math.ceil(((target - 0.5) * 1000) / per1k));
  if (!Number.isSafeInteger(units * per1k)) return Math.max(1, units - d.overageUnits - 1);
  while (units > d.overageUnits + 1 && overageCost(units - 1, per1k) >= target) units--;
  while (overageCost(units, per1k) < target) units++;
  return units - d.overageUnits;
}

/**
 * The notification kind of each alert, for the outbox's mail subjects (activities/notify/email.ts). The
 * API queues these rows; the worker's credit housekeeping sends them.
 */
export const ALERT_NOTIFICATION_KIND: Record<AlertEvent, string> = {
  'usage.threshold_reached': 'usage_threshold_reached',
  'credits.low': 'credits_low',
  'usage.overage_reached': 'usage_overage_reached',
  'spend_cap.reached': 'spend_cap_reached',
};
