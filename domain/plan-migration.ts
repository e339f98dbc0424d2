/**
 * A plan migration's pace and progress: the rules the durable migration (workflows/plan-migration.ts) and
 * the report share.
 */

/** Subscriptions moved at once: each is one Update on its own workflow, so a batch is that many in flight. */
export const MIGRATION_BATCH = 20;
/**
 * Moves a second. A move now is one Stripe subscription update (Stripe's live limit is 100 writes a second
 * for the whole account, 25 in test mode); a move at period end writes nothing to Stripe until renewal.
 */
export const MIGRATION_PER_SECOND = 10;
/** Batches per run before the workflow continues as new, so its history stays short at any book size. */
export const MIGRATION_BATCHES_PER_RUN = 25;

/** How long to wait after a batch of `size` that took `elapsedMs`, so moves never exceed `perSecond`. */
export function batchPauseMs(size: number, perSecond: number, elapsedMs: number): number {
  if (size <= 0 || perSecond <= 0) return 0;
  return Math.max(0, Math.ceil((size * 1000) / perSecond - elapsedMs));
}

export type MigrationOutcome = 'moved' | 'failed';

/** One subscription's part in a migration, as the report shows it. */
export interface MigrationItemResult {
  subscriptionId: string;
  fromVersion: number;
  outcome: MigrationOutcome;
  /** A move's result: at period end (`scheduled`) or at once (`applied`). */
  result: 'scheduled' | 'applied' | null;
  reason: string | null;
  amountCents: number;
  newAmountCents: number | null;
}

export interface MigrationProgress {
  candidates: number;
  moved: number;
  failed: number;
  /** Done of the whole, 0–100, rounded down so it reads 100 only when every one is done. */
  percent: number;
}

/** Progress from the counts recorded so far; a migration that found nobody is at 100. */
export function migrationProgress(candidates: number, moved: number, failed: number): MigrationProgress {
  const done = moved + failed;
  const percent = candidates <= 0 ? 100 : Math.min(100, Math.floor((done * 100) / candidates));
  return { candidates, moved, failed, percent };
}
