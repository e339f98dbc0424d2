import type { Sql } from './raw-sql';

/**
 * Per type: today's units less what an operator forgave (the quota's figure), the counted and BYOK units
 * of every day from the period's first on, and every unit stored on that first day. Values: today, the
 * period's first day (three times), the customer, the first day to read.
 */
export const PERIOD_COUNTERS_SQL = `select 'days' as part, type,
        sum(case when day = ? then quantity - forgiven else 0 end) as today_n,
        sum(case when day >= ? then quantity else 0 end) as n,
        sum(case when day >= ? then byok_quantity else 0 end) as byok_n,
        sum(case when day = ? then quantity + byok_quantity else 0 end) as first_day_n
   from daily_usage where customer_id = ? and day >= ? group by type`;

/**
 * The counters and, in the same statement, the units stored on the period's first day before it began.
 * Values: those of PERIOD_COUNTERS_SQL, then the customer, that day's midnight and the period's start.
 */
export const PERIOD_USAGE_SQL = `${PERIOD_COUNTERS_SQL}
 union all
 select 'before' as part, type, 0 as today_n, sum(case when byok then 0 else quantity end) as n,
        sum(case when byok then quantity else 0 end) as byok_n, 0 as first_day_n
   from usage_events where customer_id = ? and occurred_at >= ? and occurred_at < ? group by type`;

/** One type's units: from the daily counters (`days`), or stored on the first day before the start (`before`). */
export interface PeriodUnitsRow {
  part: 'days' | 'before';
  type: string;
  today_n: number | string | null;
  n: number | string | null;
  byok_n: number | string | null;
  first_day_n: number | string | null;
}

/** The period whose units are read: today and the period's first UTC day ('YYYY-MM-DD'). */
export interface PeriodDays {
  customerId: string;
  today: string;
  firstDay: string;
}

// Today may come before the first day (a period that has not begun), and its units are still wanted.
const counterValues = ({ customerId, today, firstDay }: PeriodDays) => [
  today,
  firstDay,
  firstDay,
  firstDay,
  customerId,
  today < firstDay ? today : firstDay,
];

/** The daily counters of a period per type, without reading a single event. */
export function periodCounters(sql: Sql, days: PeriodDays): Promise<PeriodUnitsRow[]> {
  return sql.read<PeriodUnitsRow>(PERIOD_COUNTERS_SQL, counterValues(days));
}

/**
 * The daily counters and, in one round trip, the units stored on the first day between its midnight and
 * the period's start, which the counters of that day include but the period does not.
 */
export function periodCountersAndUnitsBeforeStart(
  sql: Sql,
  days: PeriodDays,
  midnight: Date,
  start: Date,
): Promise<PeriodUnitsRow[]> {
  return sql.read<PeriodUnitsRow>(PERIOD_USAGE_SQL, [
    ...counterValues(days),
    days.customerId,
    sql.date(midnight),
    sql.date(start),
  ]);
}
