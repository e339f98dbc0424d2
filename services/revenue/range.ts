import { AppError } from '../../domain/errors';
import { periodsBetween, rangeProblem, type Period, type PeriodInterval } from '../../domain/revenue-periods';

/** A chart's range: days or months from `from` to `to` (`YYYY-MM-DD`, inclusive), in one currency. */
export interface RevenueRange {
  from: string;
  to: string;
  interval: PeriodInterval;
  currency: string;
}

/** The periods of a range asked for, refused when it is empty or longer than MAX_BUCKETS. */
export function rangePeriods(range: RevenueRange): Period[] {
  const problem = rangeProblem(range);
  if (problem) throw new AppError('invalid', 'validation_failed', `to: ${problem}`, { field: 'to' });
  return periodsBetween(range.from, range.to, range.interval);
}
