import type { Cents } from './money';

/**
 * A prepaid commit: the customer pays `amountCents` up front for a term of `periods` billing periods of
 * their subscription (the current one first). The payment becomes credit on their Stripe balance, which
 * pays every invoice Stripe issues from then on (fees, prorations, usage) until it runs out. When the term
 * has ended, what is left of the commit either expires (taken off the balance) or rolls over (stays on
 * it, paying later invoices).
 */
export type UnusedCommit = 'expire' | 'roll_over';

export const UNUSED_COMMIT: readonly UnusedCommit[] = ['expire', 'roll_over'];

/**
 * The smallest commit: Stripe charges no less than 50 minor units in most currencies, and settles a smaller
 * invoice by debiting the customer's balance, so the commit's credit would then be paid for by itself.
 */
export const MIN_COMMIT_CENTS = 50;
/** The largest commit: ten million in major units, as for a minimum. */
export const MAX_COMMIT_CENTS = 1_000_000_000;
/** The longest term: three years of monthly periods. */
export const MAX_COMMIT_PERIODS = 36;

/** The metadata key on the commit's invoice, its line and its balance moves: the commit's id. */
export const PREPAID_COMMIT_METADATA_KEY = 'prepaid_commit';

/** Why a commit cannot be set, naming the field at fault, or null. */
export function prepaidCommitProblem(ask: {
  amountCents: number;
  periods: number;
  unused: string;
}): { field: 'amountCents' | 'periods' | 'unused'; message: string } | null {
  if (
    !Number.isSafeInteger(ask.amountCents) ||
    ask.amountCents < MIN_COMMIT_CENTS ||
    ask.amountCents > MAX_COMMIT_CENTS
  )
    return {
      field: 'amountCents',
      message: `amount_cents must be a whole number of cents from ${MIN_COMMIT_CENTS} to ${MAX_COMMIT_CENTS}`,
    };
  if (!Number.isSafeInteger(ask.periods) || ask.periods < 1 || ask.periods > MAX_COMMIT_PERIODS)
    return { field: 'periods', message: `periods must be a whole number from 1 to ${MAX_COMMIT_PERIODS}` };
  if (!(UNUSED_COMMIT as readonly string[]).includes(ask.unused))
    return { field: 'unused', message: `unused must be one of ${UNUSED_COMMIT.join(', ')}` };
  return null;
}

/**
 * A move of the customer's Stripe balance since the commit was credited, as Stripe records it: `amount`
 * negative credits the customer, positive debits them.
 */
export interface BalanceMove {
  amountCents: Cents;
  /** Stripe's type, or `commit_expiry` for this commit's own expiry (a retried settlement finds it). */
  type:
    'applied_to_invoice' | 'unapplied_from_invoice' | 'credit_note' | 'adjustment' | 'commit_expiry' | string;
}

/**
 * What invoices drew from the balance since the commit was credited: each invoice paid from it (less what
 * a voided one gave back). The commit is drawn first, so all of it counts, up to the commit.
 */
export function drawnCents(amountCents: Cents, moves: BalanceMove[]): Cents {
  let drawn = 0;
  for (const m of moves)
    if (m.type === 'applied_to_invoice' || m.type === 'unapplied_from_invoice') drawn += m.amountCents;
  return Math.min(amountCents, Math.max(0, drawn));
}

/** The commit's standing at the end of its term. */
export interface CommitSettlement {
  drawnCents: Cents;
  /** What is left: the commit less what was drawn, never more than the credit still on the balance. */
  remainingCents: Cents;
  expiredCents: Cents;
  rolledOverCents: Cents;
}

/**
 * Settles a term: what was drawn, and what is left (which the balance must still hold: a credit the
 * customer was refunded or moved elsewhere is not there to expire), expired or rolled over as agreed.
 * `balanceCents` is Stripe's balance now (negative: credit).
 */
export function settleCommit(
  amountCents: Cents,
  moves: BalanceMove[],
  balanceCents: Cents,
  unused: UnusedCommit,
): CommitSettlement {
  const drawn = drawnCents(amountCents, moves);
  // The balance as it stood before an earlier attempt expired the commit, so a retry decides the same.
  const expiredBefore = expiredEarlier(moves);
  const remaining = Math.max(0, Math.min(amountCents - drawn, -(balanceCents - expiredBefore)));
  return {
    drawnCents: drawn,
    remainingCents: remaining,
    expiredCents: unused === 'expire' ? remaining : 0,
    rolledOverCents: unused === 'roll_over' ? remaining : 0,
  };
}

/** What earlier attempts of the settlement already took off the balance (this commit's own expiry moves). */
function expiredEarlier(moves: BalanceMove[]): Cents {
  return moves.reduce((sum, m) => sum + (m.type === 'commit_expiry' ? m.amountCents : 0), 0);
}

/**
 * What of the settlement's expiry is still to be taken off the balance: none when an earlier attempt of it
 * already did (a settlement run again after its expiry landed and its record did not), so a credit never
 * expires twice, whether or not Stripe still remembers the first move's idempotency key.
 */
export function expiryStillDue(settlement: CommitSettlement, moves: BalanceMove[]): Cents {
  return Math.max(0, settlement.expiredCents - expiredEarlier(moves));
}

/** A commit as revenue totals it. */
export interface CommitFigures {
  amountCents: Cents;
  drawnCents: Cents;
  expiredCents: Cents;
  rolledOverCents: Cents;
}

/** Committed against consumed over settled commits: paid up front, drawn by invoices, expired, rolled over. */
export function prepaidCommitTotals(commits: CommitFigures[]) {
  const totals = {
    commits: commits.length,
    amountCents: 0,
    drawnCents: 0,
    expiredCents: 0,
    rolledOverCents: 0,
  };
  for (const c of commits) {
    totals.amountCents += c.amountCents;
    totals.drawnCents += c.drawnCents;
    totals.expiredCents += c.expiredCents;
    totals.rolledOverCents += c.rolledOverCents;
  }
  return totals;
}
