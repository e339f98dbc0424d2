import type { Cents } from './money';

/**
 * A minimum commitment: the customer agrees to be billed at least `minimumCents` for each billing period
 * of their subscription from `startsAt`. What Stripe billed for a period (its fees, prorations and usage,
 * after discounts, before tax) counts towards it; a shortfall is billed once the period has ended, as a
 * true-up line on an invoice of its own.
 */
export interface MinimumCommitment {
  minimumCents: Cents;
  currency: string;
  /** The start of the first period it applies to (a period start of the subscription). */
  startsAt: Date;
  /** When it was ended: periods that start at or after it owe nothing. */
  endedAt: Date | null;
}

/** The largest minimum an admin may set: ten million in major units, far below a safe integer. */
export const MAX_MINIMUM_CENTS = 1_000_000_000;

/** The metadata key Stripe carries on a true-up line, so it never counts towards its own period. */
export const TRUE_UP_METADATA_KEY = 'commitment_true_up';

/** An invoice line as the period's consumption reads it: Stripe's amount, discounts and service period. */
export interface BilledLine {
  amountCents: Cents;
  discountCents: Cents;
  /** Unix seconds, Stripe's `period.start` / `period.end`. */
  periodStart: number;
  periodEnd: number;
  /** A true-up line this engine billed (its metadata). */
  trueUp: boolean;
}

/**
 * What Stripe billed for the period [start, end) (unix seconds): every line whose service period lies
 * within it, after its discounts; credits for unused time count negative. A line of the next period (the
 * renewal's fee in advance) or of an earlier one is left out, as is a true-up line.
 */
export function periodConsumptionCents(lines: BilledLine[], start: number, end: number): Cents {
  let sum = 0;
  for (const l of lines) {
    if (l.trueUp || l.periodStart < start || l.periodEnd > end) continue;
    sum += l.amountCents - l.discountCents;
  }
  return sum;
}

/** The true-up a period owes: what its consumption leaves short of the minimum, never negative. */
export function trueUpCents(minimumCents: Cents, consumedCents: Cents): Cents {
  return Math.max(0, minimumCents - consumedCents);
}

/** Whether the commitment covers the period that starts at `periodStart`. */
export function commitmentCovers(
  c: Pick<MinimumCommitment, 'startsAt' | 'endedAt'>,
  periodStart: Date,
): boolean {
  const t = periodStart.getTime();
  return t >= c.startsAt.getTime() && (c.endedAt === null || t < c.endedAt.getTime());
}

/**
 * The first of a subscription's commitments that still covers a period starting at or after `startsAt`,
 * where a new one would begin: that period would owe both minimums. Null when none does (one ended at that
 * start or before it, or never covering a period).
 */
export function commitmentOwingFrom<C extends { startsAt: Date; endedAt?: Date | null }>(
  commitments: readonly C[],
  startsAt: Date,
): C | null {
  const from = startsAt.getTime();
  for (const c of commitments) {
    const end = c.endedAt ?? null;
    if (end === null || end.getTime() > Math.max(c.startsAt.getTime(), from)) return c;
  }
  return null;
}

/** Why a minimum cannot be set (an amount of whole cents from 1 to MAX_MINIMUM_CENTS), or null. */
export function minimumProblem(minimumCents: number): string | null {
  if (!Number.isSafeInteger(minimumCents) || minimumCents < 1 || minimumCents > MAX_MINIMUM_CENTS)
    return `minimum_cents must be a whole number of cents from 1 to ${MAX_MINIMUM_CENTS}`;
  return null;
}

/** A settled period as revenue totals it. */
export interface SettledPeriod {
  minimumCents: Cents;
  consumedCents: Cents;
  trueUpCents: Cents;
}

/**
 * Committed against consumed over settled periods: what the minimums promised, what the periods billed,
 * the true-ups that made up the difference, and how many periods fell short. What was billed for the
 * periods in all is the larger of each period's consumption and its minimum.
 */
export function commitmentTotals(periods: SettledPeriod[]) {
  let minimumCents = 0;
  let consumedCents = 0;
  let trueUpCents = 0;
  let short = 0;
  for (const p of periods) {
    minimumCents += p.minimumCents;
    consumedCents += p.consumedCents;
    trueUpCents += p.trueUpCents;
    if (p.trueUpCents > 0) short++;
  }
  return { periods: periods.length, short, minimumCents, consumedCents, trueUpCents };
}

/** A minimum per billing period as a monthly figure: a yearly one is a twelfth (rounded half up). */
export function monthlyMinimumCents(minimumCents: Cents, interval: 'month' | 'year'): Cents {
  return interval === 'year' ? Math.round(minimumCents / 12) : minimumCents;
}
