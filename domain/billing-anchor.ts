import { divRound, type Cents } from './money';
import type { BillingInterval } from './billing-cycle';
import { TRIAL_TIER, type TrialWithoutCard } from './trial';

/**
 * When a subscription's periods turn over. `anniversary`: on the day it started (or its trial ended), as
 * Stripe does by default. `calendar`: on the 1st of a month at 00:00 UTC, so every customer renews on the
 * same day; the first period runs to the next 1st and is charged prorated.
 */
export const BILLING_ANCHORS = ['anniversary', 'calendar'] as const;
export type BillingAnchor = (typeof BILLING_ANCHORS)[number];

export function isBillingAnchor(value: unknown): value is BillingAnchor {
  return typeof value === 'string' && (BILLING_ANCHORS as readonly string[]).includes(value);
}

const MINUTE_S = 60;
const DAY_S = 86_400;

/** Stripe's bounds on a Checkout session's `expires_at`: half an hour to a day after it is created. */
export const CHECKOUT_MIN_LIFETIME_S = 30 * MINUTE_S;
export const CHECKOUT_MAX_LIFETIME_S = DAY_S;

/** The first 1st of a month at 00:00 UTC strictly after `atS` (unix seconds). */
export function nextCalendarAnchor(atS: number): number {
  const at = new Date(atS * 1000);
  return Date.UTC(at.getUTCFullYear(), at.getUTCMonth() + 1, 1) / 1000;
}

/** Where the full period that ends on the calendar anchor `anchorS` (a 1st, 00:00 UTC) starts. */
export function fullPeriodStart(anchorS: number, interval: BillingInterval): number {
  const a = new Date(anchorS * 1000);
  const months = interval === 'year' ? 12 : 1;
  return Date.UTC(a.getUTCFullYear(), a.getUTCMonth() - months, 1) / 1000;
}

/**
 * What the short first period from `startS` to the anchor costs: the price times the share of the full
 * period (the one that ends on the anchor) it covers, by the second, rounded half away from zero. This is
 * how Stripe prorates the stub period before a future `billing_cycle_anchor`.
 */
export function firstPeriodCents(
  amountCents: Cents,
  startS: number,
  anchorS: number,
  interval: BillingInterval,
): Cents {
  const whole = anchorS - fullPeriodStart(anchorS, interval);
  const part = Math.min(Math.max(anchorS - startS, 0), whole);
  return divRound(amountCents * part, whole);
}

/** Stripe's shortest trial that Checkout takes as an end date. */
export const CHECKOUT_MIN_TRIAL_S = 2 * DAY_S;

/**
 * Where a trial on calendar billing ends. Checkout takes a billing anchor or a trial, never both, so the
 * trial itself carries the anchor: it runs to the first 1st after its days (and at least the two days
 * Stripe asks of a trial's end date), and the periods after it are whole months from that 1st.
 */
export function calendarTrialEnd(nowS: number, trialDays: number): number {
  return nextCalendarAnchor(Math.max(nowS + trialDays * DAY_S, nowS + CHECKOUT_MIN_TRIAL_S));
}

export type CheckoutWindow =
  | { ok: true; expiresAtS: number | null }
  /** The 1st is nearer than Checkout's shortest session: the customer is asked to come back after it. */
  | { ok: false; retryAfterS: number };

/**
 * How long a Checkout session for a calendar subscription may stay open. Stripe needs the anchor in the
 * future when the session completes, so a session opened in a month's last day closes before the 1st; in
 * the last half hour no session is short enough, and the customer signs up after midnight UTC instead.
 */
export function checkoutWindow(nowS: number, anchorS: number | null): CheckoutWindow {
  if (anchorS === null) return { ok: true, expiresAtS: null };
  const left = anchorS - nowS - MINUTE_S;
  if (left >= CHECKOUT_MAX_LIFETIME_S) return { ok: true, expiresAtS: null };
  if (left >= CHECKOUT_MIN_LIFETIME_S) return { ok: true, expiresAtS: nowS + left };
  return { ok: false, retryAfterS: Math.max(anchorS - nowS, 0) };
}

/**
 * A change between monthly and yearly makes Stripe restart the billing cycle at the moment of the change.
 * On calendar billing it therefore waits for the period's end, which falls on a 1st, so the anchor holds.
 */
export function calendarKeepsAnchor(
  anchor: BillingAnchor,
  from: BillingInterval,
  to: BillingInterval,
): boolean {
  return anchor === 'calendar' && from !== to;
}

/**
 * Where calendar billing cannot hold its anchor, refused rather than drifting: the trial tier converts on
 * day 7 by restarting the cycle, and a trial paused for want of a card restarts it when the card comes.
 */
export function billingAnchorRefusal(plan: {
  code: string;
  trialWithoutCard?: TrialWithoutCard | null;
  billingAnchor: BillingAnchor;
}): string | null {
  if (plan.billingAnchor !== 'calendar') return null;
  if (plan.code === TRIAL_TIER) return 'The trial tier renews from the day it converts, not on the 1st';
  if (plan.trialWithoutCard === 'ask_for_card')
    return 'A trial paused for want of a card restarts its cycle when the card comes, so it cannot bill on the 1st';
  return null;
}
