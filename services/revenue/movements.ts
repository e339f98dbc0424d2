import type { EntityManager } from '@mikro-orm/core';
import { num, sqlFor } from '../../db/raw-sql';
import { mrrFromArrCents } from '../../domain/plan-change';
import type { Period } from '../../domain/revenue-periods';
import { rangePeriods, type RevenueRange } from './range';
import type { Movement } from './summary';
import { CURRENT, changes, movementSums, PAYING, sideArr } from './sql';

/**
 * The MRR movements of each period from `:from`, per customer as for the month (see summary.ts and
 * `movementSums`): a customer's ARR at the end of a period is their paying subscriptions' `arr_cents` now
 * less their changes in later periods (a running sum over their periods, newest last), and at its start
 * that less the period's own changes. Only periods in which a customer's changes sum to something are
 * looked at (`g`); they hold every change that moved ARR, so the running sums are exact. A customer at 0
 * at the start of a period and above it at its end had paid before when their first change with a paying
 * side falls in an earlier period (labels sort as periods do): `fp` looks that up once per such customer
 * on the `(customer_id, at)` index. Binds `:currency`, `:from` and `:last` (the last period's label);
 * `tot` also gives the changes in periods after `:last`, up to now, for the walk back from the book now.
 */
const periodMovements = (bucket: (column: string) => string) => `with
  ch as materialized (select x.customer_id, x.at, x.d_arr from ${changes('c.at >= :from')} x where x.d_arr <> 0),
  g as (
    select ch.customer_id, ${bucket('ch.at')} as b, sum(ch.d_arr) as during
    from ch group by ch.customer_id, ${bucket('ch.at')} having sum(ch.d_arr) <> 0
  ),
  w as materialized (
    select g.customer_id, g.b, g.during,
      sum(g.during) over (partition by g.customer_id)
        - sum(g.during) over (partition by g.customer_id order by g.b) as later
    from g
  ),
  now_arr as materialized (
    select x.customer_id, coalesce(sum(s.arr_cents), 0) as arr
    from (select distinct w.customer_id from w where w.b <= :last) x
    left join subscriptions s
      on s.customer_id = x.customer_id and s.status in ${PAYING} and s.currency = :currency
    group by x.customer_id
  ),
  e as materialized (
    select w.customer_id, w.b, n.arr - w.later - w.during as a0, n.arr - w.later as a1
    from w join now_arr n on n.customer_id = w.customer_id
    where w.b <= :last
  ),
  fp as materialized (
    select x.customer_id, min(c.at) as first_paid
    from (select distinct e.customer_id from e where e.a0 = 0 and e.a1 > 0) x
    join subscription_changes c on c.customer_id = x.customer_id and c.currency = :currency
      and (${sideArr('old')} > 0 or ${sideArr('new')} > 0)
    group by x.customer_id
  ),
  p as (
    select e.b, e.a0, e.a1,
      case when e.a0 = 0 and e.a1 > 0 and ${bucket('fp.first_paid')} < e.b then 1 else 0 end as back
    from e left join fp on fp.customer_id = e.customer_id
  ),
  mv as (select p.b, ${movementSums('p')} from p group by p.b),
  tot as (select g.b, sum(g.during) as d_arr from g group by g.b)
select tot.b, tot.d_arr, mv.new_arr, mv.new_n, mv.reactivated_arr, mv.reactivated_n, mv.expansion_arr,
  mv.expansion_n, mv.contraction_arr, mv.contraction_n, mv.churned_arr, mv.churned_n
from tot left join mv on mv.b = tot.b`;

type MovementKind = 'new' | 'expansion' | 'contraction' | 'churned' | 'reactivated';
type PeriodMovementRow = { b: string; d_arr: unknown } & Partial<
  Record<`${MovementKind}_${'arr' | 'n'}`, unknown>
>;

/** One period's MRR at its start and end, and the movements between them. */
export interface MovementsPoint extends Period, Record<MovementKind, Movement> {
  startingMrrCents: number;
  endingMrrCents: number;
  netNewMrrCents: number;
}

export type RevenueMovements = RevenueRange & { points: MovementsPoint[] };

/**
 * Per day or month between from and to (inclusive), MRR at its start and end and the movements between
 * them (new, expansion, contraction, churned, reactivated; MRR and customers), by the month's rule applied
 * to each period. Over a month by day, a customer who moves once in it moves the same in the day it
 * happens as in the month; one who moves several times shows each move on its day (a pause and resume
 * inside the month is churn and then reactivation by day, nothing by month). Each period's figures are
 * rounded to the cent on their own. Two statements (the book now, and the changes since the first period)
 * whatever the number of periods.
 */
export async function revenueMovements(em: EntityManager, opts: RevenueRange): Promise<RevenueMovements> {
  const list = rangePeriods(opts);
  const sql = sqlFor(em);
  const { currency } = opts;
  const last = list[list.length - 1]!.period;
  const [[current], rows] = await Promise.all([
    sql.rows<{ arr: unknown }>(CURRENT, { currency }),
    sql.rows<PeriodMovementRow>(
      periodMovements((column) => sql.bucket(column, opts.interval)),
      { currency, from: sql.date(list[0]!.start), last },
    ),
  ]);
  const byLabel = new Map(rows.map((r) => [r.b, r]));
  // Walking back from the book now: first through the changes after the last period.
  let arr = num(current?.arr);
  for (const r of rows) if (r.b > last) arr -= num(r.d_arr);
  const points: MovementsPoint[] = [];
  for (let i = list.length - 1; i >= 0; i--) {
    const b = list[i]!;
    const r = byLabel.get(b.period);
    const startArr = arr - num(r?.d_arr);
    const endCents = mrrFromArrCents(arr);
    const startCents = mrrFromArrCents(startArr);
    const part = (kind: MovementKind): Movement => ({
      mrrCents: mrrFromArrCents(num(r?.[`${kind}_arr`])),
      customers: num(r?.[`${kind}_n`]),
    });
    points.push({
      ...b,
      startingMrrCents: startCents,
      endingMrrCents: endCents,
      new: part('new'),
      expansion: part('expansion'),
      contraction: part('contraction'),
      churned: part('churned'),
      reactivated: part('reactivated'),
      netNewMrrCents: endCents - startCents,
    });
    arr = startArr;
  }
  points.reverse();
  return { interval: opts.interval, from: opts.from, to: opts.to, currency, points };
}
