import type { EntityManager } from '@mikro-orm/core';
import { commitmentBook } from '../../db/commitments';
import { prepaidCommitBook } from '../../db/prepaid-commits';
import { commitmentTotals, monthlyMinimumCents } from '../../domain/commitments';
import { AppError } from '../../domain/errors';
import { prepaidCommitTotals } from '../../domain/prepaid-commits';
import { monthBounds, monthOf } from '../../domain/revenue-periods';

/**
 * Committed against consumed for `month` (default: this one), in one currency: what live commitments
 * promise a month, and for the periods that ended in the month, the minimums, what they billed and the
 * true-ups, with each period; and prepaid commits: those in their term now, and for those whose term
 * ended in the month, what was paid up front against what invoices drew, what expired and what rolled over.
 */
export async function commitmentRevenue(
  em: EntityManager,
  opts: { now: Date; month?: string; currency: string },
) {
  const month = opts.month ?? monthOf(opts.now);
  const bounds = monthBounds(month);
  if (!bounds)
    throw new AppError('invalid', 'validation_failed', 'month: must be YYYY-MM', { field: 'month' });
  const [book, prepaid] = await Promise.all([
    commitmentBook(em, opts.currency, bounds.start, bounds.end),
    prepaidCommitBook(em, opts.currency, bounds.start, bounds.end),
  ]);
  return {
    month,
    currency: opts.currency,
    live: {
      commitments: book.live.length,
      monthlyMinimumCents: book.live.reduce((s, c) => s + monthlyMinimumCents(c.minimumCents, c.interval), 0),
    },
    settled: commitmentTotals(book.periods),
    periods: book.periods,
    prepaid: {
      live: { commits: prepaid.active.length, amountCents: prepaid.active.reduce((t, a) => t + a, 0) },
      settled: prepaidCommitTotals(prepaid.settled),
      commits: prepaid.settled,
    },
  };
}
