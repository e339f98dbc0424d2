import type { EntityManager } from '@mikro-orm/core';
import { AppError } from '../../domain/errors';
import { centsToDollars, divRound } from '../../domain/money';
import { num, sqlFor, sqlList, type Sql } from '../../db/raw-sql';
import { MONTHS_PER_YEAR, mrrFromArrCents } from '../../domain/plan-change';
import { FINAL_STATUSES } from '../../domain/subscription-status';
import { PAYING, changes, moneyFlows, moneyFlowsByBucket, movementSums, sideArr } from './sql';

const DAY_MS = 86_400_000;

/** A money figure in dollars, for clients that read dollars, beside its integer cents. */
function money(cents: number) {
  return { dollars: centsToDollars(cents), cents };
}

/**
 * ARR, paying subscriptions and paying customers now, in one pass over the covering index on
 * `subscriptions(status, currency, customer_id, arr_cents)` (a separate pass for the distinct customers
 * costs more than counting them here).
 */
const CURRENT = `select coalesce(sum(s.arr_cents), 0) as arr, count(*) as n,
    count(distinct s.customer_id) as customers
  from subscriptions s where s.status in ${PAYING} and s.currency = :currency`;

/**
 * The changes in one currency since `:from` that moved ARR or the paying count: the rest (a trial
 * starting, active → past_due) add 0 to every sum below, so dropping them early spares the groupings.
 * MATERIALIZED (SQLite ≥ 3.35, PostgreSQL ≥ 12) so that the rows are read once through the `(at,
 * currency)` index and shared by the figures below; inlined, SQLite would rather walk the whole table in
 * `subscription_id` order to save the GROUP BY a sort.
 */
const moved = (from: string) =>
  `ch as materialized (select * from ${changes(`c.at >= ${from}`)} x where x.d_arr <> 0 or x.d_paying <> 0)`;

/**
 * Subscriber churn over the window after `:since`, from `ch`: per subscription, its changes since then sum
 * to (paying now) − (paying then), so −1 is one that paid then and does not now, whatever happened in
 * between.
 */
const CHURN = `select coalesce(sum(x.d), 0) as d_paying, coalesce(sum(case when x.d < 0 then 1 else 0 end), 0) as churned
  from (select ch.subscription_id, sum(ch.d_paying) as d from ch
        where ch.at > :since and ch.d_paying <> 0 group by ch.subscription_id) x`;

interface PointRow {
  arr: unknown;
  n: unknown;
  customers: unknown;
  d_paying: unknown;
  churned: unknown;
}

/** MRR, active subscriptions and paying customers now, and subscriber churn over the 30 days before. */
function pointFrom(row: PointRow | undefined) {
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

async function pointMetrics(sql: Sql, now: Date, currency: string) {
  const since = sql.date(new Date(now.getTime() - 30 * DAY_MS));
  const [row] = await sql.rows<PointRow>(
    `with ${moved(':since')}, cur as (${CURRENT}), churn as (${CHURN}) select * from cur, churn`,
    { currency, since },
  );
  return pointFrom(row);
}

/** Parses `YYYY-MM` into the month's first instant and the next month's. */
export function monthBounds(month: string): { start: Date; end: Date } {
  const m = /^(\d{4})-(\d{2})$/.exec(month);
  const year = Number(m?.[1]);
  const mon = Number(m?.[2]);
  if (!m || mon < 1 || mon > 12) {
    throw new AppError('invalid', 'validation_failed', 'query.month: must be YYYY-MM', {
      field: 'query.month',
    });
  }
  return { start: new Date(Date.UTC(year, mon - 1, 1)), end: new Date(Date.UTC(year, mon, 1)) };
}

export const monthOf = (d: Date) => d.toISOString().slice(0, 7);

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

function movementsFrom(
  row: MovementRow | undefined,
  arrNow: number,
  month: string,
  bounds: { start: Date; stop: Date },
) {
  const startArr = arrNow - num(row?.since_start);
  const startCents = mrrFromArrCents(startArr);
  const endCents = mrrFromArrCents(arrNow - num(row?.since_stop));
  const expansion = mrrFromArrCents(num(row?.expansion_arr));
  const contraction = mrrFromArrCents(num(row?.contraction_arr));
  const churned = mrrFromArrCents(num(row?.churned_arr));
  const retained = startArr + num(row?.expansion_arr) - num(row?.contraction_arr) - num(row?.churned_arr);
  const nrr = startArr === 0 ? null : retained / startArr;
  const part = (cents: number, count: unknown) => ({
    mrr: centsToDollars(cents),
    mrr_cents: cents,
    customers: num(count),
  });
  return {
    month,
    from: bounds.start.toISOString(),
    to: bounds.stop.toISOString(),
    starting_mrr: centsToDollars(startCents),
    starting_mrr_cents: startCents,
    ending_mrr: centsToDollars(endCents),
    ending_mrr_cents: endCents,
    new: part(mrrFromArrCents(num(row?.new_arr)), row?.new_n),
    expansion: part(expansion, row?.expansion_n),
    contraction: part(contraction, row?.contraction_n),
    churned: part(churned, row?.churned_n),
    reactivated: part(mrrFromArrCents(num(row?.reactivated_arr)), row?.reactivated_n),
    net_new_mrr_cents: endCents - startCents,
    net_revenue_retention: nrr === null ? null : Math.round(nrr * 10_000) / 10_000,
  };
}

/**
 * `GET /admin/revenue`: MRR, ARR, ARPU, subscriber churn over the last 30 days, active subscriptions and
 * paying customers now, then NRR and the month's MRR movements and money collected.
 *
 * One statement: on SQLite (one synchronous connection at a time) separate statements would only queue,
 * and together the churn window and the month share one read of the changes since the earlier of their
 * starts (`ch`) and the movements reuse the book's ARR now (`cur`).
 */
export async function revenueSummary(
  em: EntityManager,
  opts: { now: Date; month?: string; currency: string },
) {
  const sql = sqlFor(em);
  const { now, currency } = opts;
  const month = opts.month ?? monthOf(now);
  const { start, end } = monthBounds(month);
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
  const currencies = await bookCurrencies(sql);
  const point = pointFrom(row);
  const movements = movementsFrom(row, point.arrCents, month, { start, stop });
  const mrr = money(point.mrrCents);
  const arr = money(point.arrCents);
  const arpu = money(point.arpuCents);
  // Money collected: invoices paid in the 30 days (gross), then what went back in the same 30 days.
  const last30 = flowsOf(row, 'r30');
  const recentRevenue = money(last30.paid);
  return {
    mrr: mrr.dollars,
    arr: arr.dollars,
    churn_rate: Math.round(point.churnRate * 10_000) / 10_000,
    churn_percentage: Math.round(point.churnRate * 10_000) / 100,
    active_subscriptions: point.activeSubscriptions,
    recent_revenue_30d: recentRevenue.dollars,
    arpu: arpu.dollars,
    mrr_cents: mrr.cents,
    arr_cents: arr.cents,
    arpu_cents: arpu.cents,
    recent_revenue_30d_cents: recentRevenue.cents,
    refunds_30d: centsToDollars(last30.refunded),
    refunds_30d_cents: last30.refunded,
    credit_notes_30d: centsToDollars(last30.credited),
    credit_notes_30d_cents: last30.credited,
    net_revenue_30d: centsToDollars(last30.net),
    net_revenue_30d_cents: last30.net,
    paying_customers: point.payingCustomers,
    churned_subscriptions_30d: point.churnedLast30d,
    active_subscriptions_30d_ago: point.activeThirtyDaysAgo,
    net_revenue_retention: movements.net_revenue_retention,
    movements,
    collected: collectedIn(flowsOf(row, 'm'), month, { start, stop }),
    currency,
    currencies,
    as_of: now.toISOString(),
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

type FlowRow<P extends string> = Record<`${P}_paid` | `${P}_refunded` | `${P}_credited`, unknown>;

/** A window's money in and back (see moneyFlows), with net revenue: collected less what went back. */
function flowsOf<P extends string>(row: FlowRow<P> | undefined, p: P) {
  const r = (row ?? {}) as Record<string, unknown>;
  const paid = num(r[`${p}_paid`]);
  const refunded = num(r[`${p}_refunded`]);
  const credited = num(r[`${p}_credited`]);
  return { paid, refunded, credited, net: paid - refunded - credited };
}

function collectedIn(f: ReturnType<typeof flowsOf>, month: string, bounds: { start: Date; stop: Date }) {
  return {
    month,
    from: bounds.start.toISOString(),
    to: bounds.stop.toISOString(),
    gross: centsToDollars(f.paid),
    gross_cents: f.paid,
    refunds: centsToDollars(f.refunded),
    refunds_cents: f.refunded,
    credit_notes: centsToDollars(f.credited),
    credit_notes_cents: f.credited,
    net_revenue: centsToDollars(f.net),
    net_revenue_cents: f.net,
  };
}

interface TierRow {
  tier: string;
  paying: unknown;
  trialing: unknown;
  arr: unknown;
}

/**
 * Per tier: paying subscriptions and their MRR now, and trialing ones (which add no MRR). Grouped on
 * `tier || ''` rather than the column: on the column SQLite walks the `tier` index and fetches every row
 * out of order to skip a sort; a straight scan of the table and a sort of the rows kept is faster.
 */
async function tiers(sql: Sql, currency: string) {
  const rows = await sql.rows<TierRow>(
    `select s.tier || '' as tier,
       sum(case when s.status in ${PAYING} then 1 else 0 end) as paying,
       sum(case when s.status = 'trialing' then 1 else 0 end) as trialing,
       coalesce(sum(s.arr_cents), 0) as arr
     from subscriptions s
     where s.currency = :currency and (s.status in ${PAYING} or s.status = 'trialing')
     group by 1`,
    { currency },
  );
  return rows
    .map((r) => {
      const arrCents = num(r.arr);
      const t = {
        paying: num(r.paying),
        trialing: num(r.trialing),
        arrCents,
        mrrCents: mrrFromArrCents(arrCents),
      };
      return [r.tier, t] as const;
    })
    .sort(([a], [b]) => a.localeCompare(b));
}

/**
 * `GET /admin/billing/stats`: the number of customers, and paying and trialing subscriptions and MRR in
 * total and per tier; `monthly_revenue` is MRR.
 */
export async function billingStats(em: EntityManager, opts: { now: Date; currency: string }) {
  const sql = sqlFor(em);
  const [byTier, [customers]] = await Promise.all([
    tiers(sql, opts.currency),
    sql.rows<{ n: unknown }>('select count(*) as n from customers'),
  ]);
  let active = 0;
  let trialing = 0;
  let arrCents = 0;
  const breakdown: Record<string, object> = {};
  for (const [tier, t] of byTier) {
    active += t.paying;
    trialing += t.trialing;
    arrCents += t.arrCents;
    breakdown[tier] = {
      count: t.paying + t.trialing,
      revenue: centsToDollars(t.mrrCents),
      revenue_cents: t.mrrCents,
      paying: t.paying,
      trialing: t.trialing,
    };
  }
  // The total is rounded once from the exact sum, so it may differ by a cent from the tiers' rounded sum.
  const mrrCents = mrrFromArrCents(arrCents);
  return {
    total_customers: num(customers?.n),
    active_subscriptions: active,
    trial_subscriptions: trialing,
    monthly_revenue: centsToDollars(mrrCents),
    monthly_revenue_cents: mrrCents,
    tier_breakdown: breakdown,
    currency: opts.currency,
  };
}

/** `GET /admin/subscriptions/analytics/revenue-by-tier`. */
export async function revenueByTier(em: EntityManager, opts: { now: Date; currency: string }) {
  const byTier = await tiers(sqlFor(em), opts.currency);
  const totalArr = byTier.reduce((s, [, t]) => s + t.arrCents, 0);
  const total = mrrFromArrCents(totalArr);
  return {
    tiers: byTier.map(([tier, t]) => ({
      tier,
      paying_subscriptions: t.paying,
      trialing_subscriptions: t.trialing,
      mrr: centsToDollars(t.mrrCents),
      mrr_cents: t.mrrCents,
      arr: centsToDollars(t.arrCents),
      arr_cents: t.arrCents,
      share_of_mrr: totalArr === 0 ? 0 : Math.round((t.arrCents / totalArr) * 10_000) / 10_000,
    })),
    total_mrr: centsToDollars(total),
    total_mrr_cents: total,
    currency: opts.currency,
  };
}

/** `GET /admin/subscriptions/analytics/overview`: counts by status beside the headline revenue figures. */
export async function analyticsOverview(em: EntityManager, opts: { now: Date; currency: string }) {
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
  const byStatus = Object.fromEntries(statuses.map((r) => [r.status, num(r.n)]));
  return {
    total_subscriptions: statuses.reduce((s, r) => s + num(r.n), 0),
    by_status: byStatus,
    active_subscriptions: point.activeSubscriptions,
    trial_subscriptions: byStatus.trialing ?? 0,
    past_due_subscriptions: byStatus.past_due ?? 0,
    canceled_subscriptions: byStatus.canceled ?? 0,
    pending_cancellations: num(pending?.n),
    paying_customers: point.payingCustomers,
    mrr: centsToDollars(point.mrrCents),
    mrr_cents: point.mrrCents,
    arr: centsToDollars(point.arrCents),
    arr_cents: point.arrCents,
    arpu: centsToDollars(point.arpuCents),
    arpu_cents: point.arpuCents,
    churn_rate: Math.round(point.churnRate * 10_000) / 10_000,
    currency: opts.currency,
  };
}

interface Bucket {
  period: string;
  start: Date;
  end: Date;
}

/** The periods from `from` to `to`; stops one past the limit, so a range of centuries costs nothing. */
function buckets(from: string, to: string, interval: 'day' | 'month'): Bucket[] {
  const out: Bucket[] = [];
  const first = new Date(`${from}T00:00:00Z`);
  const last = new Date(`${to}T00:00:00Z`);
  let cur = interval === 'day' ? first : new Date(Date.UTC(first.getUTCFullYear(), first.getUTCMonth(), 1));
  while (cur <= last && out.length <= MAX_BUCKETS[interval]) {
    const next =
      interval === 'day'
        ? new Date(cur.getTime() + DAY_MS)
        : new Date(Date.UTC(cur.getUTCFullYear(), cur.getUTCMonth() + 1, 1));
    out.push({ period: cur.toISOString().slice(0, interval === 'day' ? 10 : 7), start: cur, end: next });
    cur = next;
  }
  return out;
}

export const MAX_BUCKETS = { day: 400, month: 120 } as const;

/** The periods of a range asked for, refused when it is empty or longer than MAX_BUCKETS. */
function rangeBuckets(opts: { from: string; to: string; interval: 'day' | 'month' }): Bucket[] {
  const list = buckets(opts.from, opts.to, opts.interval);
  if (list.length === 0) {
    throw new AppError('invalid', 'validation_failed', 'query.to: must not be before from', {
      field: 'query.to',
    });
  }
  if (list.length > MAX_BUCKETS[opts.interval]) {
    throw new AppError(
      'invalid',
      'validation_failed',
      `query.to: at most ${MAX_BUCKETS[opts.interval]} ${opts.interval}s per request`,
      { field: 'query.to' },
    );
  }
  return list;
}

interface BucketRow {
  b: string;
  d_arr: unknown;
  d_paying: unknown;
  started: unknown;
  stopped: unknown;
  stopped_arr: unknown;
}

/**
 * `GET /admin/revenue/timeseries`: MRR and active (paying) subscriptions at the end of each bucket, and
 * the subscriptions that started (or resumed) and stopped paying inside it. The book now, then the
 * changes since the first bucket grouped by bucket: walking back from now, each bucket's end is the next
 * one's end less the next one's changes. Two statements whatever the number of buckets.
 */
export async function revenueTimeseries(
  em: EntityManager,
  opts: { from: string; to: string; interval: 'day' | 'month'; currency: string },
) {
  const list = rangeBuckets(opts);
  const sql = sqlFor(em);
  const currency = opts.currency;
  const [[current], grouped, flows] = await Promise.all([
    sql.rows<{ arr: unknown; n: unknown }>(CURRENT, { currency }),
    sql.rows<BucketRow>(
      `select ${sql.bucket('ch.at', opts.interval)} as b, sum(ch.d_arr) as d_arr, sum(ch.d_paying) as d_paying,
         sum(case when ch.d_paying > 0 then 1 else 0 end) as started,
         sum(case when ch.d_paying < 0 then 1 else 0 end) as stopped,
         sum(case when ch.d_paying < 0 then ch.old_arr else 0 end) as stopped_arr
       from ${changes('c.at >= :from')} ch group by 1`,
      { currency, from: sql.date(list[0]!.start) },
    ),
    sql.rows<{ b: string; paid: unknown; refunded: unknown; credited: unknown }>(
      moneyFlowsByBucket((column) => sql.bucket(column, opts.interval)),
      { currency, from: sql.date(list[0]!.start), to: sql.date(list[list.length - 1]!.end) },
    ),
  ]);
  const byLabel = new Map(grouped.map((r) => [r.b, r]));
  const flowsByLabel = new Map(flows.map((r) => [r.b, r]));
  // Labels sort as their periods do; those after the last bucket are the changes between it and now.
  const last = list[list.length - 1]!.period;
  let arr = num(current?.arr);
  let active = num(current?.n);
  for (const r of grouped) {
    if (r.b > last) {
      arr -= num(r.d_arr);
      active -= num(r.d_paying);
    }
  }
  const points = [];
  for (let i = list.length - 1; i >= 0; i--) {
    const b = list[i]!;
    const r = byLabel.get(b.period);
    const started = num(r?.started);
    const stopped = num(r?.stopped);
    const activeAtStart = active - num(r?.d_paying);
    const mrrCents = mrrFromArrCents(arr);
    points.push({
      period: b.period,
      start: b.start.toISOString(),
      end: b.end.toISOString(),
      mrr: centsToDollars(mrrCents),
      mrr_cents: mrrCents,
      active_subscriptions: active,
      new_subscriptions: started,
      churned_subscriptions: stopped,
      churned_mrr_cents: mrrFromArrCents(num(r?.stopped_arr)),
      churn_rate: activeAtStart === 0 ? 0 : Math.round((stopped / activeAtStart) * 10_000) / 10_000,
      ...bucketFlows(flowsByLabel.get(b.period)),
    });
    arr -= num(r?.d_arr);
    active = activeAtStart;
  }
  points.reverse();
  return { interval: opts.interval, from: opts.from, to: opts.to, currency, points };
}

/** A bucket's money in and back, and net revenue (collected less refunds and credit notes). */
function bucketFlows(r: { paid: unknown; refunded: unknown; credited: unknown } | undefined) {
  const collected = num(r?.paid);
  const refunds = num(r?.refunded);
  const credits = num(r?.credited);
  return {
    collected_cents: collected,
    refunds_cents: refunds,
    credit_notes_cents: credits,
    net_revenue_cents: collected - refunds - credits,
  };
}

/**
 * The MRR movements of each period from `:from`, per customer as for the month (see MOVEMENTS and
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

/**
 * `GET /admin/revenue/movements`: per day or month between from and to (inclusive), MRR at its start
 * and end and the movements between them (new, expansion, contraction, churned, reactivated; MRR and
 * customers), by the month's rule applied to each period. Over a month by day, a customer who moves once
 * in it moves the same in the day it happens as in the month; one who moves several times shows each
 * move on its day (a pause and resume inside the month is churn and then reactivation by day, nothing by
 * month). Each period's figures are rounded to the cent on their own. Two statements (the book now, and
 * the changes since the first period) whatever the number of periods.
 */
export async function revenueMovements(
  em: EntityManager,
  opts: { from: string; to: string; interval: 'day' | 'month'; currency: string },
) {
  const list = rangeBuckets(opts);
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
  const points = [];
  for (let i = list.length - 1; i >= 0; i--) {
    const b = list[i]!;
    const r = byLabel.get(b.period);
    const startArr = arr - num(r?.d_arr);
    const endCents = mrrFromArrCents(arr);
    const startCents = mrrFromArrCents(startArr);
    const part = (kind: MovementKind) => ({
      mrr_cents: mrrFromArrCents(num(r?.[`${kind}_arr`])),
      customers: num(r?.[`${kind}_n`]),
    });
    points.push({
      period: b.period,
      start: b.start.toISOString(),
      end: b.end.toISOString(),
      starting_mrr_cents: startCents,
      ending_mrr_cents: endCents,
      new: part('new'),
      expansion: part('expansion'),
      contraction: part('contraction'),
      churned: part('churned'),
      reactivated: part('reactivated'),
      net_new_mrr_cents: endCents - startCents,
    });
    arr = startArr;
  }
  points.reverse();
  return { interval: opts.interval, from: opts.from, to: opts.to, currency, points };
}
