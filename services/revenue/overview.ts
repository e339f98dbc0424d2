import type { EntityManager } from '@mikro-orm/core';
import { num, sqlFor, sqlList } from '../../db/raw-sql';
import { FINAL_STATUSES } from '../../domain/subscription-status';
import { pointMetrics, type BookNow } from './book-now';

/** Subscriptions by status and pending cancellations, beside the book now. */
export interface AnalyticsOverview extends BookNow {
  totalSubscriptions: number;
  byStatus: Record<string, number>;
  pendingCancellations: number;
  currency: string;
}

/** Counts by status beside the headline revenue figures. */
export async function analyticsOverview(
  em: EntityManager,
  opts: { now: Date; currency: string },
): Promise<AnalyticsOverview> {
  const sql = sqlFor(em);
  const [point, statuses, [pending]] = await Promise.all([
    pointMetrics(sql, opts.now, opts.currency),
    sql.rows<{ status: string; n: unknown }>(
      'select status, count(*) as n from subscriptions group by status order by status',
    ),
    sql.rows<{ n: unknown }>(
      `select count(*) as n from subscriptions
       where cancel_at_period_end = ? and status not in ${sqlList(FINAL_STATUSES)}`,
      [sql.bool(true)],
    ),
  ]);
  return {
    ...point,
    totalSubscriptions: statuses.reduce((s, r) => s + num(r.n), 0),
    byStatus: Object.fromEntries(statuses.map((r) => [r.status, num(r.n)])),
    pendingCancellations: num(pending?.n),
    currency: opts.currency,
  };
}
