import type { EntityManager } from '@mikro-orm/core';
import { AppError } from '../../../domain/errors';
import { centsToDollars, divRound } from '../../../domain/money';
import { ACTIVE_AT, EVER_PAID, SPANS, num, sqlFor, type Sql } from './sql';

const DAY_MS = 86_400_000;
const MONTHS_PER_YEAR = 12;

/** Annualised cents (the unit SPANS sums in) as monthly cents, rounded once, at the end. */
const monthly = (arrCents: number) => divRound(arrCents, MONTHS_PER_YEAR);

/** A figure as the seeds publish it (dollars) beside its cents. */
function money(cents: number) {
  return { dollars: centsToDollars(cents), cents };
}

/** Binds `ACTIVE_AT` for an instant. */
const activeAt = (sql: Sql, t: Date) => [sql.at(t), sql.at(t)];

interface PointRow {
  arr_now: unknown;
  active_now: unknown;
  customers_now: unknown;
  active_before: unknown;
  churned: unknown;
}

/** MRR, active subscriptions and paying customers now, and subscriber churn over the 30 days before. */
async function pointMetrics(sql: Sql, now: Date, currency: string) {
  const windowStart = new Date(now.getTime() - 30 * DAY_MS);
  const [row] = await sql.rows<PointRow>(
    `select
       sum(case when ${ACTIVE_AT} then sp.arr_cents else 0 end) as arr_now,
       sum(case when ${ACTIVE_AT} then 1 else 0 end) as active_now,
       count(distinct case when ${ACTIVE_AT} then sp.customer_id end) as customers_now,
       sum(case when ${ACTIVE_AT} then 1 else 0 end) as active_before,
       sum(case when ${ACTIVE_AT} and sp.end_at <= ? then 1 else 0 end) as churned
     from ${SPANS} sp`,
    [
      ...activeAt(sql, now),
      ...activeAt(sql, now),
      ...activeAt(sql, now),
      ...activeAt(sql, windowStart),
      ...activeAt(sql, windowStart),
      sql.at(now),
      currency,
    ],
  );
  const arrCents = num(row?.arr_now);
  const activeBefore = num(row?.active_before);
  const churned = num(row?.churned);
  const customers = num(row?.customers_now);
  return {
    arrCents,
    mrrCents: monthly(arrCents),
    activeSubscriptions: num(row?.active_now),
    payingCustomers: customers,
    activeThirtyDaysAgo: activeBefore,
    churnedLast30d: churned,
    churnRate: activeBefore === 0 ? 0 : churned / activeBefore,
    arpuCents: customers === 0 ? 0 : divRound(arrCents, MONTHS_PER_YEAR * customers),
  };
}

/** Money collected: invoices paid in the window (gross; refunds are not subtracted). */
async function collected(sql: Sql, from: Date, to: Date, currency: string): Promise<number> {
  const [row] = await sql.rows<{ paid: unknown }>(
    `select sum(amount_paid_cents) as paid from invoices
     where paid_at >= ? and paid_at <= ? and currency = ?`,
    [sql.at(from), sql.at(to), currency],
  );
  return num(row?.paid);
}

/** Parses `YYYY-MM` into the month's first instant and the next month's. */
export function monthBounds(month: string): { start: Date; end: Date } {
  const m = /^(\d{4})-(\d{2})$/.exec(month);
  const year = Number(m?.[1]);
  const mon = Number(m?.[2]);
  if (!m || mon < 1 || mon > 12) {
    throw new AppError(400, 'validation_failed', 'query.month: must be YYYY-MM', { field: 'query.month' });
  }
  return { start: new Date(Date.UTC(year, mon - 1, 1)), end: new Date(Date.UTC(year, mon, 1)) };
}

export const monthOf = (d: Date) => d.toISOString().slice(0, 7);

interface MovementRow {
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

/**
 * Stripe's MRR movements for a month, per customer: their MRR at the end of the month before against the
 * end of this one (or now, for the current month). 0 → more is new (or reactivated when they had paid
 * before), more → 0 churned, up expansion, down contraction. Changes that cancel out inside the month
 * are not seen.
 */
export async function mrrMovements(sql: Sql, month: string, now: Date, currency: string) {
  const { start, end } = monthBounds(month);
  const t0 = new Date(start.getTime() - 1);
  const t1 = new Date(Math.min(end.getTime(), now.getTime() + 1) - 1);
  const [row] = await sql.rows<MovementRow>(
    `select
       sum(case when g.a0 = 0 and g.a1 > 0 and g.paid_before = 0 then g.a1 else 0 end) as new_arr,
       sum(case when g.a0 = 0 and g.a1 > 0 and g.paid_before = 1 then g.a1 else 0 end) as reactivated_arr,
       sum(case when g.a0 > 0 and g.a1 > g.a0 then g.a1 - g.a0 else 0 end) as expansion_arr,
       sum(case when g.a0 > 0 and g.a1 > 0 and g.a1 < g.a0 then g.a0 - g.a1 else 0 end) as contraction_arr,
       sum(case when g.a0 > 0 and g.a1 = 0 then g.a0 else 0 end) as churned_arr,
       sum(case when g.a0 = 0 and g.a1 > 0 and g.paid_before = 0 then 1 else 0 end) as new_n,
       sum(case when g.a0 = 0 and g.a1 > 0 and g.paid_before = 1 then 1 else 0 end) as reactivated_n,
       sum(case when g.a0 > 0 and g.a1 > g.a0 then 1 else 0 end) as expansion_n,
       sum(case when g.a0 > 0 and g.a1 > 0 and g.a1 < g.a0 then 1 else 0 end) as contraction_n,
       sum(case when g.a0 > 0 and g.a1 = 0 then 1 else 0 end) as churned_n
     from (
       select sp.customer_id,
         sum(case when ${ACTIVE_AT} then sp.arr_cents else 0 end) as a0,
         sum(case when ${ACTIVE_AT} then sp.arr_cents else 0 end) as a1,
         max(case when sp.start_at <= ? and ${EVER_PAID} then 1 else 0 end) as paid_before
       from ${SPANS} sp
       where sp.customer_id in (
         select sc.customer_id from ${SPANS} sc
         where (sc.start_at > ? and sc.start_at <= ?) or (sc.end_at > ? and sc.end_at <= ?))
       group by sp.customer_id
     ) g`,
    [
      ...activeAt(sql, t0),
      ...activeAt(sql, t1),
      sql.at(t0),
      currency,
      currency,
      ...[t0, t1, t0, t1].map(sql.at),
    ],
  );
  // Customers with no span starting or ending inside the month moved nothing; only the totals need them.
  const [totals] = await sql.rows<{ start_arr: unknown; end_arr: unknown }>(
    `select sum(case when ${ACTIVE_AT} then sp.arr_cents else 0 end) as start_arr,
       sum(case when ${ACTIVE_AT} then sp.arr_cents else 0 end) as end_arr
     from ${SPANS} sp`,
    [...activeAt(sql, t0), ...activeAt(sql, t1), currency],
  );
  const startArr = num(totals?.start_arr);
  const startCents = monthly(startArr);
  const endCents = monthly(num(totals?.end_arr));
  const expansion = monthly(num(row?.expansion_arr));
  const contraction = monthly(num(row?.contraction_arr));
  const churned = monthly(num(row?.churned_arr));
  const retained = startArr + num(row?.expansion_arr) - num(row?.contraction_arr) - num(row?.churned_arr);
  const nrr = startArr === 0 ? null : retained / startArr;
  const part = (cents: number, count: unknown) => ({
    mrr: centsToDollars(cents),
    mrr_cents: cents,
    customers: num(count),
  });
  return {
    month,
    from: start.toISOString(),
    to: new Date(t1.getTime() + 1).toISOString(),
    starting_mrr: centsToDollars(startCents),
    starting_mrr_cents: startCents,
    ending_mrr: centsToDollars(endCents),
    ending_mrr_cents: endCents,
    new: part(monthly(num(row?.new_arr)), row?.new_n),
    expansion: part(expansion, row?.expansion_n),
    contraction: part(contraction, row?.contraction_n),
    churned: part(churned, row?.churned_n),
    reactivated: part(monthly(num(row?.reactivated_arr)), row?.reactivated_n),
    net_new_mrr_cents: endCents - startCents,
    net_revenue_retention: nrr === null ? null : Math.round(nrr * 10_000) / 10_000,
  };
}

/** `GET /admin/revenue`: the seed 003 figures, then NRR and the month's MRR movements. */
export async function revenueSummary(
  em: EntityManager,
  opts: { now: Date; month?: string; currency: string },
) {
  const sql = sqlFor(em);
  const { now, currency } = opts;
  const [point, recent, movements] = await Promise.all([
    pointMetrics(sql, now, currency),
    collected(sql, new Date(now.getTime() - 30 * DAY_MS), now, currency),
    mrrMovements(sql, opts.month ?? monthOf(now), now, currency),
  ]);
  const mrr = money(point.mrrCents);
  const arr = money(point.arrCents);
  const arpu = money(point.arpuCents);
  const recentRevenue = money(recent);
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
    paying_customers: point.payingCustomers,
    churned_subscriptions_30d: point.churnedLast30d,
    active_subscriptions_30d_ago: point.activeThirtyDaysAgo,
    net_revenue_retention: movements.net_revenue_retention,
    movements,
    currency,
    as_of: now.toISOString(),
  };
}

interface TierRow {
  tier: string;
  n: unknown;
  arr: unknown;
}

/** Per tier: paying subscriptions and their MRR now, and trialing ones (which add no MRR). */
async function tiers(sql: Sql, now: Date, currency: string) {
  const [paying, trialing] = await Promise.all([
    sql.rows<TierRow>(
      `select sp.tier as tier, count(*) as n, sum(sp.arr_cents) as arr
       from ${SPANS} sp where ${ACTIVE_AT} group by sp.tier`,
      [currency, ...activeAt(sql, now)],
    ),
    sql.rows<TierRow>(
      `select tier, count(*) as n, 0 as arr from subscriptions
       where status = 'trialing' and currency = ? group by tier`,
      [currency],
    ),
  ]);
  const out = new Map<string, { paying: number; trialing: number; arrCents: number; mrrCents: number }>();
  const entry = (tier: string) => {
    let e = out.get(tier);
    if (!e) out.set(tier, (e = { paying: 0, trialing: 0, arrCents: 0, mrrCents: 0 }));
    return e;
  };
  for (const r of paying) {
    const e = entry(r.tier);
    e.paying = num(r.n);
    e.arrCents = num(r.arr);
    e.mrrCents = monthly(e.arrCents);
  }
  for (const r of trialing) entry(r.tier).trialing = num(r.n);
  return [...out.entries()].sort(([a], [b]) => a.localeCompare(b));
}

/** `GET /admin/billing/stats`: seed 001's shape; `monthly_revenue` is MRR. */
export async function billingStats(em: EntityManager, opts: { now: Date; currency: string }) {
  const sql = sqlFor(em);
  const [byTier, [customers]] = await Promise.all([
    tiers(sql, opts.now, opts.currency),
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
  const mrrCents = monthly(arrCents);
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
  const byTier = await tiers(sqlFor(em), opts.now, opts.currency);
  const totalArr = byTier.reduce((s, [, t]) => s + t.arrCents, 0);
  const total = monthly(totalArr);
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
       where cancel_at_period_end = ? and status not in ('canceled', 'expired')`,
      [sql.dialect === 'sqlite' ? 1 : true],
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

function buckets(from: string, to: string, interval: 'day' | 'month'): Bucket[] {
  const out: Bucket[] = [];
  const first = new Date(`${from}T00:00:00Z`);
  const last = new Date(`${to}T00:00:00Z`);
  let cur = interval === 'day' ? first : new Date(Date.UTC(first.getUTCFullYear(), first.getUTCMonth(), 1));
  while (cur <= last) {
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

/**
 * `GET /admin/revenue/timeseries`: MRR and active subscriptions at the end of each bucket, and what started
 * and stopped paying inside it. One baseline aggregate, then the starts and stops grouped by bucket, summed
 * here, so the cost is two scans whatever the number of buckets.
 */
export async function revenueTimeseries(
  em: EntityManager,
  opts: { from: string; to: string; interval: 'day' | 'month'; currency: string },
) {
  const list = buckets(opts.from, opts.to, opts.interval);
  if (list.length === 0) {
    throw new AppError(400, 'validation_failed', 'query.to: must not be before from', { field: 'query.to' });
  }
  if (list.length > MAX_BUCKETS[opts.interval]) {
    throw new AppError(
      400,
      'validation_failed',
      `query.to: at most ${MAX_BUCKETS[opts.interval]} ${opts.interval}s per request`,
      { field: 'query.to' },
    );
  }
  const sql = sqlFor(em);
  const w0 = list[0]!.start;
  const w1 = list[list.length - 1]!.end;
  const label = (col: string) => sql.bucket(col, opts.interval);
  type Grouped = { b: string; arr: unknown; n: unknown };
  const [[base], starts, stops] = await Promise.all([
    sql.rows<{ arr: unknown; n: unknown }>(
      `select sum(sp.arr_cents) as arr, count(*) as n from ${SPANS} sp where ${ACTIVE_AT}`,
      [opts.currency, ...activeAt(sql, new Date(w0.getTime() - 1))],
    ),
    sql.rows<Grouped>(
      `select ${label('sp.start_at')} as b, sum(sp.arr_cents) as arr, count(*) as n from ${SPANS} sp
       where sp.start_at >= ? and sp.start_at < ? and ${EVER_PAID} group by 1`,
      [opts.currency, sql.at(w0), sql.at(w1)],
    ),
    sql.rows<Grouped>(
      `select ${label('sp.end_at')} as b, sum(sp.arr_cents) as arr, count(*) as n from ${SPANS} sp
       where sp.end_at >= ? and sp.end_at < ? and sp.end_at > sp.start_at group by 1`,
      [opts.currency, sql.at(w0), sql.at(w1)],
    ),
  ]);
  const byLabel = (rows: Grouped[]) => new Map(rows.map((r) => [r.b, { arr: num(r.arr), n: num(r.n) }]));
  const startMap = byLabel(starts);
  const stopMap = byLabel(stops);
  let arr = num(base?.arr);
  let active = num(base?.n);
  const points = list.map((b) => {
    const s = startMap.get(b.period) ?? { arr: 0, n: 0 };
    const e = stopMap.get(b.period) ?? { arr: 0, n: 0 };
    const activeAtStart = active;
    arr += s.arr - e.arr;
    active += s.n - e.n;
    const mrrCents = monthly(arr);
    return {
      period: b.period,
      start: b.start.toISOString(),
      end: b.end.toISOString(),
      mrr: centsToDollars(mrrCents),
      mrr_cents: mrrCents,
      active_subscriptions: active,
      new_subscriptions: s.n,
      churned_subscriptions: e.n,
      churned_mrr_cents: monthly(e.arr),
      churn_rate: activeAtStart === 0 ? 0 : Math.round((e.n / activeAtStart) * 10_000) / 10_000,
    };
  });
  return { interval: opts.interval, from: opts.from, to: opts.to, currency: opts.currency, points };
}
