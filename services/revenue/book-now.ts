import { divRound } from '../../domain/money';
import { num, type Sql } from '../../db/raw-sql';
import { MONTHS_PER_YEAR, mrrFromArrCents } from '../../domain/plan-change';
import { CURRENT, CHURN, moved } from './sql';

export const DAY_MS = 86_400_000;

export interface PointRow {
  arr: unknown;
  n: unknown;
  customers: unknown;
  d_paying: unknown;
  churned: unknown;
}

/** The book now: MRR, ARR, ARPU, paying subscriptions and customers, and churn over the 30 days before. */
export interface BookNow {
  arrCents: number;
  mrrCents: number;
  activeSubscriptions: number;
  payingCustomers: number;
  activeThirtyDaysAgo: number;
  churnedLast30d: number;
  /** Unrounded: subscriptions that stopped paying over those that paid 30 days ago. */
  churnRate: number;
  arpuCents: number;
}

/** The book now from a row of CURRENT and CHURN. */
export function pointFrom(row: PointRow | undefined): BookNow {
  const arrCents = num(row?.arr);
  const active = num(row?.n);
  const activeBefore = active - num(row?.d_paying);
  const churned = num(row?.churned);
  const customers = num(row?.customers);
  return {
    arrCents,
    mrrCents: mrrFromArrCents(arrCents),
    activeSubscriptions: active,
    payingCustomers: customers,
    activeThirtyDaysAgo: activeBefore,
    churnedLast30d: churned,
    churnRate: activeBefore === 0 ? 0 : churned / activeBefore,
    arpuCents: customers === 0 ? 0 : divRound(arrCents, MONTHS_PER_YEAR * customers),
  };
}

/** The book now in one statement. */
export async function pointMetrics(sql: Sql, now: Date, currency: string): Promise<BookNow> {
  const since = sql.date(new Date(now.getTime() - 30 * DAY_MS));
  const [row] = await sql.rows<PointRow>(
    `with ${moved(':since')}, cur as (${CURRENT}), churn as (${CHURN}) select * from cur, churn`,
    { currency, since },
  );
  return pointFrom(row);
}
