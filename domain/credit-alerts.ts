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
