/**
 * How long the engine keeps the records that only explain the past (outgoing webhook deliveries and their
 * attempts, published billing events, customer mails, finished top-up tries, the per-subject usage counters
 * of windows long over). Money records (ledger, invoices, charges, refunds, the audit log) are never pruned.
 */

/** The default window, in days: long enough to answer a dispute or a support ticket about a period. */
export const DEFAULT_RETENTION_DAYS = 180;

const DAY_MS = 86_400_000;

/** Records older than this instant may go. */
export function retentionCutoff(now: Date, retentionDays: number): Date {
  if (!Number.isInteger(retentionDays) || retentionDays < 1)
    throw new RangeError('retention is a whole number of days, at least 1');
  return new Date(now.getTime() - retentionDays * DAY_MS);
}

/**
 * What each kind of record must be before it may go, besides being older than the cutoff: never a
 * delivery still being tried, an event still to publish or deliver, a mail still to send, or a top-up
 * still at Stripe.
 */
export const RETAINED_KINDS = [
  'webhook_attempts',
  'webhook_deliveries',
  'billing_events',
  'notifications',
  'credit_top_ups',
  'subject_usage',
] as const;
export type RetainedKind = (typeof RETAINED_KINDS)[number];

/** Kinds a retention run pruned before `subject_usage` joined them (runs begun then replay with these). */
export const RETAINED_KINDS_BEFORE_SUBJECT_USAGE: readonly RetainedKind[] = RETAINED_KINDS.filter(
  (k) => k !== 'subject_usage',
);

/**
 * The last window keys of a subject's usage counters that may go (domain/subject-budgets.ts
 * subjectWindowKeys): days before the cutoff's, and periods that began over a year before it, which have
 * all ended since (no billing period is longer than a year). Keys of one kind sort as their dates do.
 */
export function subjectUsagePruneKeys(cutoff: Date): { dayBefore: string; periodBefore: string } {
  return {
    dayBefore: `d:${cutoff.toISOString().slice(0, 10)}`,
    periodBefore: `p:${new Date(cutoff.getTime() - 366 * DAY_MS).toISOString()}`,
  };
}
