import type { EntityManager } from '@mikro-orm/core';
import { AppError } from '../../domain/errors';
import { num, sqlFor, type Sql } from '../../db/raw-sql';
import { mrrFromArrCents } from '../../domain/plan-change';
import { monthBounds, monthOf } from '../../domain/revenue-periods';
import { DAY_MS, pointFrom, type BookNow, type PointRow } from './book-now';
import { CHURN, CURRENT, moneyFlows, moved, movementSums, PAYING, sideArr } from './sql';

/**
 * Stripe's MRR movements for a month, per customer: their MRR at the end of the month before against the
 * end of this one (or now, for the current month). 0 → more is new (or reactivated when they had paid
 * before), more → 0 churned, up expansion, down contraction; an upgrade or downgrade of the same
 * subscription counts as well as a subscription added or ended. By definition a customer whose changes
 * cancel out inside the month moved nothing, so only customers whose changes inside it (`:start` up to
 * `:stop`) sum to something are looked at.
 *
 * Over `ch` (see `moved`; it must reach back to `:start`): each such customer's MRR at the end is their
 * subscriptions' `arr_cents` now (a seek per customer on the covering index) less their changes since
 * the end, and at the start that less the month's changes too. `e` and `p` are MATERIALIZED so that each
 * customer's figures (and the look back for an earlier paying spell) are computed once: inlined, every
 * reference to them below would repeat the lookup. The totals come from the book's ARR now (`cur.arr`)
 * less the sums of `tot`.
 */
const MOVEMENTS = `g as (
    select ch.customer_id,
      sum(case when ch.at >= :stop then ch.d_arr else 0 end) as after_arr,
      sum(case when ch.at < :stop then ch.d_arr else 0 end) as during_arr
    from ch where ch.at >= :start group by ch.customer_id
    having sum(case when ch.at < :stop then ch.d_arr else 0 end) <> 0
  ),
  e as materialized (
    select g.customer_id, g.during_arr, coalesce(sum(s.arr_cents), 0) - g.after_arr as a1
    from g left join subscriptions s
      on s.customer_id = g.customer_id and s.status in ${PAYING} and s.currency = :currency
    group by g.customer_id, g.during_arr, g.after_arr
  ),
  p as materialized (
    select e.a1 - e.during_arr as a0, e.a1,
      case when e.a1 - e.during_arr = 0 and e.a1 > 0 and exists (
          select 1 from subscription_changes c
          where c.customer_id = e.customer_id and c.at < :start and c.currency = :currency
            and (${sideArr('old')} > 0 or ${sideArr('new')} > 0)
      ) then 1 else 0 end as back
    from e
  ),
  mv as (
    select ${movementSums('p')}
    from p
  ),
  tot as (
    select coalesce(sum(case when ch.at >= :start then ch.d_arr else 0 end), 0) as since_start,
      coalesce(sum(case when ch.at >= :stop then ch.d_arr else 0 end), 0) as since_stop
    from ch
  )`;

interface MovementRow {
  since_start: unknown;
  since_stop: unknown;
  new_arr: unknown;
  reactivated_arr: unknown;
  expansion_arr: unknown;
  contraction_arr: unknown;
  churned_arr: unknown;
  new_n: unknown;
  reactivated_n: unknown;
  expansion_n: unknown;
  contraction_n: unknown;
  churned_n: unknown;
}

/** One kind of MRR movement: the MRR it moved and the customers who moved so. */
export interface Movement {
  mrrCents: number;
  customers: number;
}

/** A month's MRR at its start and end, and the movements between them. */
export interface MonthMovements {
  month: string;
  from: Date;
  to: Date;
  startingMrrCents: number;
  endingMrrCents: number;
  new: Movement;
  expansion: Movement;
  contraction: Movement;
  churned: Movement;
  reactivated: Movement;
  netNewMrrCents: number;
  /** Unrounded; null when nothing paid at the month's start. */
  netRevenueRetention: number | null;
}

function movementsFrom(
  row: MovementRow | undefined,
  arrNow: number,
  month: string,
  bounds: { start: Date; stop: Date },
): MonthMovements {
  const startArr = arrNow - num(row?.since_start);
  const startCents = mrrFromArrCents(startArr);
  const endCents = mrrFromArrCents(arrNow - num(row?.since_stop));
  const retained = startArr + num(row?.expansion_arr) - num(row?.contraction_arr) - num(row?.churned_arr);
  const part = (arr: unknown, count: unknown) => ({
    mrrCents: mrrFromArrCents(num(arr)),
    customers: num(count),
  });
  return {
    month,
    from: bounds.start,
    to: bounds.stop,
    startingMrrCents: startCents,
    endingMrrCents: endCents,
    new: part(row?.new_arr, row?.new_n),
    expansion: part(row?.expansion_arr, row?.expansion_n),
    contraction: part(row?.contraction_arr, row?.contraction_n),
    churned: part(row?.churned_arr, row?.churned_n),
    reactivated: part(row?.reactivated_arr, row?.reactivated_n),
    netNewMrrCents: endCents - startCents,
    netRevenueRetention: startArr === 0 ? null : retained / startArr,
  };
}

/** Money in and back over a window (see moneyFlows), and net revenue: collected less what went back. */
export interface MoneyFlows {
  paidCents: number;
  refundedCents: number;
  creditedCents: number;
  netCents: number;
  /** What coupons took off the invoices paid (already out of `paidCents`): the discounts' cost. */
  discountedCents: number;
}

type FlowRow<P extends string> = Record<
  `${P}_paid` | `${P}_refunded` | `${P}_credited` | `${P}_discounted`,
  unknown
>;

function flowsOf<P extends string>(row: FlowRow<P> | undefined, p: P): MoneyFlows {
  const r = (row ?? {}) as Record<string, unknown>;
  const paid = num(r[`${p}_paid`]);
  const refunded = num(r[`${p}_refunded`]);
  const credited = num(r[`${p}_credited`]);
  return {
    paidCents: paid,
    refundedCents: refunded,
    creditedCents: credited,
    netCents: paid - refunded - credited,
    discountedCents: num(r[`${p}_discounted`]),
  };
}

/** The headline revenue figures: the book now, the last 30 days' money and the month's movements. */
export interface RevenueSummary extends BookNow {
  /** Invoices paid in the last 30 days (gross), and what went back in the same 30 days. */
  last30d: MoneyFlows;
  movements: MonthMovements;
  /** The month's money in and back, from its start up to its end (or now, for this month). */
  collected: MoneyFlows & { month: string; from: Date; to: Date };
  currency: string;
  /** Every currency the book's subscriptions are in, sorted. */
  currencies: string[];
  asOf: Date;
}

/**
 * MRR, ARR, ARPU, subscriber churn over the last 30 days, active subscriptions and paying customers now,
 * then NRR and the month's MRR movements and money collected.
 *
 * One statement: on SQLite (one synchronous connection at a time) separate statements would only queue,
 * and together the churn window and the month share one read of the changes since the earlier of their
 * starts (`ch`) and the movements reuse the book's ARR now (`cur`).
 */
export async function revenueSummary(
  em: EntityManager,
  opts: { now: Date; month?: string; currency: string },
): Promise<RevenueSummary> {
  const sql = sqlFor(em);
  const { now, currency } = opts;
  const month = opts.month ?? monthOf(now);
  const bounds = monthBounds(month);
  if (!bounds) {
    throw new AppError('invalid', 'validation_failed', 'month: must be YYYY-MM', { field: 'month' });
  }
  const { start, end } = bounds;
  // Changes before `stop` make the figure at the end: the month's end, or now (inclusive) for this month.
  const stop = new Date(Math.min(end.getTime(), now.getTime() + 1));
  const since = new Date(now.getTime() - 30 * DAY_MS);
  const [row] = await sql.rows<PointRow & MovementRow & FlowRow<'r30'> & FlowRow<'m'>>(
    `with ${moved(':from')},
     cur as (${CURRENT}),
     churn as (${CHURN}),
     last30 as (${moneyFlows('r30', ':since', ':now', '<=')}),
     inmonth as (${moneyFlows('m', ':start', ':stop', '<')}),
     ${MOVEMENTS}
     select * from cur, churn, last30, inmonth, mv, tot`,
    {
      currency,
      from: sql.date(new Date(Math.min(start.getTime(), since.getTime()))),
      since: sql.date(since),
      now: sql.date(now),
      start: sql.date(start),
      stop: sql.date(stop),
    },
  );
  const point = pointFrom(row);
  return {
    ...point,
    last30d: flowsOf(row, 'r30'),
    movements: movementsFrom(row, point.arrCents, month, { start, stop }),
    collected: { month, from: start, to: stop, ...flowsOf(row, 'm') },
    currency,
    currencies: await bookCurrencies(sql),
    asOf: now,
  };
}

/**
 * The currencies the book's subscriptions are in (any status), sorted: what the console offers to switch
 * the figures to. A subscription's currency is its invoices' and charges' too.
 */
async function bookCurrencies(sql: Sql): Promise<string[]> {
  const rows = await sql.rows<{ currency: string }>(
    'select distinct currency from subscriptions order by currency',
  );
  return rows.map((r) => r.currency);
}
