import type { EntityManager } from '@mikro-orm/core';
import { commitmentBook } from '../../db/commitments';
import { commitmentTotals, monthlyMinimumCents } from '../../domain/commitments';
import { AppError } from '../../domain/errors';
import { monthBounds, monthOf } from '../../domain/revenue-periods';

/**
 * Committed against consumed for `month` (default: this one), in one currency: what live commitments
 * promise a month, and for the periods that ended in the month, the minimums, what they billed and the
 * true-ups, with each period.
 */
export async function commitmentRevenue(
  em: EntityManager,
  opts: { now: Date; month?: string; currency: string },
) {
  const month = opts.month ?? monthOf(opts.now);
  const bounds = monthBounds(month);
  if (!bounds)
    throw new AppError('invalid', 'validation_failed', 'month: must be YYYY-MM', { field: 'month' });
  const book = await commitmentBook(em, opts.currency, bounds.start, bounds.end);
  return {
    month,
    currency: opts.currency,
    live: {
      commitments: book.live.length,
      monthlyMinimumCents: book.live.reduce((s, c) => s + monthlyMinimumCents(c.minimumCents, c.interval), 0),
    },
    settled: commitmentTotals(book.periods),
    periods: book.periods,
  };
}
