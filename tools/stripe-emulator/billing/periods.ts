import type Stripe from 'stripe';

const DAY = 86_400;

/**
 * The end of a billing period that starts at `start`, anchored to the anchor's day of month (clamped to
 * the month's length, so a Jan 31 anchor bills Feb 28 and then Mar 31), computed in UTC like Stripe.
 */
export function addInterval(
  start: number,
  interval: Stripe.Price.Recurring.Interval,
  count: number,
  anchor: number = start,
): number {
  if (interval === 'day') return start + count * DAY;
  if (interval === 'week') return start + count * 7 * DAY;
  const from = new Date(start * 1000);
  const a = new Date(anchor * 1000);
  const months = interval === 'month' ? count : count * 12;
  const year = from.getUTCFullYear();
  const month = from.getUTCMonth() + months;
  const lastDay = new Date(Date.UTC(year, month + 1, 0)).getUTCDate();
  const day = Math.min(a.getUTCDate(), lastDay);
  return Math.floor(Date.UTC(year, month, day, a.getUTCHours(), a.getUTCMinutes(), a.getUTCSeconds()) / 1000);
}

/**
 * Where the period that ends at `end` starts: one interval back, on the anchor's day of month clamped to the
 * month's length as addInterval clamps it (the month before a Mar 31 anchor starts on Feb 28, or 29). This is
 * the full period Stripe measures a stub against when a future `billing_cycle_anchor` ends it.
 */
export function subtractInterval(
  end: number,
  interval: Stripe.Price.Recurring.Interval,
  count: number,
  anchor: number = end,
): number {
  if (interval === 'day') return end - count * DAY;
  if (interval === 'week') return end - count * 7 * DAY;
  const from = new Date(end * 1000);
  const a = new Date(anchor * 1000);
  const months = interval === 'month' ? count : count * 12;
  const year = from.getUTCFullYear();
  const month = from.getUTCMonth() - months;
  const lastDay = new Date(Date.UTC(year, month + 1, 0)).getUTCDate();
  const day = Math.min(a.getUTCDate(), lastDay);
  return Math.floor(Date.UTC(year, month, day, a.getUTCHours(), a.getUTCMinutes(), a.getUTCSeconds()) / 1000);
}

/** `amount × part ÷ whole`, rounded half away from zero, in integers so cents never drift. */
export function prorate(amount: number, part: number, whole: number): number {
  if (whole <= 0) return 0;
  const sign = amount < 0 ? -1 : 1;
  const num = Math.abs(amount) * part;
  return sign * Math.floor((2 * num + whole) / (2 * whole));
}

export const SECONDS_PER_DAY = DAY;
