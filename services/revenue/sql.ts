import { sqlList } from '../../db/raw-sql';
import { BILLING_INTERVALS, periodsPerYear } from '../../domain/plan-change';
import { PAYING_STATUSES } from '../../domain/subscription-status';

/**
 * The paying states as an SQL list, taken from the domain rule the mirror uses for `arr_cents`, so the
 * counts here and the sums of `arr_cents` cannot disagree on what pays.
 */
export const PAYING = sqlList(PAYING_STATUSES);

/** 1 when a status column (possibly NULL: a change's old side) is a paying state, else 0. */
const payingFlag = (status: string) => `(case when ${status} in ${PAYING} then 1 else 0 end)`;

/** An amount over a year, by its interval column: the domain's `annualizedCents` in SQL. */
const annualized = (interval: string, amount: string) =>
  `case ${interval} ${BILLING_INTERVALS.map((i) => `when '${i}' then ${amount} * ${periodsPerYear(i)}`).join(' ')} end`;

/** The annualised amount of one side of a change, as the mirror computes `arr_cents` for a row. */
const arrOf = (status: string, interval: string, amount: string) =>
  `(case when ${status} in ${PAYING} then ${annualized(interval, amount)} else 0 end)`;

/**
 * The rows of `subscription_changes` in one currency that match `where` (over the change, aliased `c`),
 * each with what it did to ARR and to the count of paying subscriptions:
 * - `d_arr`: new ARR − old ARR; `d_paying`: +1 started paying, −1 stopped, 0 otherwise;
 * - `old_arr`: ARR before the change (what a stop takes away).
 * Binds `:currency`.
 *
 * Every figure in the past is the present (`subscriptions.arr_cents` and `status`) minus the changes
 * after that instant: the mirror writes one row per change with both sides, so per subscription the
 * deltas telescope, and the state at t equals the one left by the latest change at or before t. Going
 * back from now reads only the changes since t (indexed on `at, currency`), not the whole history, and is
 * also right for a subscription whose history started after it did (its first row's old side says what it
 * was before).
 *
 * The row carries its subscription's currency (the mirror copies it), so no per-change lookup of the
 * subscription is needed to filter on it.
 */
export const changes = (where: string) => `(
  select c.subscription_id, c.customer_id, c.at,
    ${arrOf('c.new_status', 'c.new_interval', 'c.new_amount_cents')}
      - ${arrOf('c.old_status', 'c.old_interval', 'coalesce(c.old_amount_cents, 0)')} as d_arr,
    ${payingFlag('c.new_status')} - ${payingFlag('c.old_status')} as d_paying,
    ${arrOf('c.old_status', 'c.old_interval', 'coalesce(c.old_amount_cents, 0)')} as old_arr
  from subscription_changes c
  where c.currency = :currency and ${where}
)`;

/** The ARR a side of a change carries, for a change row aliased `c` (`old` or `new`). */
export const sideArr = (side: 'old' | 'new', alias = 'c') =>
  arrOf(
    `${alias}.${side}_status`,
    `${alias}.${side}_interval`,
    side === 'old' ? `coalesce(${alias}.old_amount_cents, 0)` : `${alias}.new_amount_cents`,
  );

/**
 * What an invoice (aliased `i`) collected for the business: what was paid less the tax in it (a paid
 * invoice's tax is all in what it collected, unless a credit balance paid part: then no more than that).
 */
const PAID_EXCLUDING_TAX = `(case when i.amount_paid_cents > i.tax_cents then i.amount_paid_cents - i.tax_cents else 0 end)`;

/**
 * Money in and money back between two instants (SQL expressions of bound parameters; `to` is inclusive
 * when `upTo` is `<=`), in one currency, as one row of three columns prefixed with `p`:
 * - `<p>_paid`: `amount_paid` of invoices paid in it (gross collected), less the tax in it: tax is the
 *   state's money, never revenue (PAID_EXCLUDING_TAX);
 * - `<p>_refunded`: refunds made in it, whenever the charge was, except those that failed or were
 *   canceled;
 * - `<p>_credited`: credit notes issued in it after payment (the invoice had been paid), less the parts
 *   they paid back as refunds (those are refunds above), except voided ones. A credit note before payment
 *   only lowered what was collected, so it is already out of `paid`;
 * - `<p>_discounted`: what coupons took off the invoices paid in it (already out of `paid`): what the
 *   discounts cost in the period.
 * Binds `:currency`.
 */
export const moneyFlows = (p: string, from: string, to: string, upTo: '<' | '<=') => `select
  (select coalesce(sum(${PAID_EXCLUDING_TAX}), 0) from invoices i
    where i.paid_at >= ${from} and i.paid_at ${upTo} ${to} and i.currency = :currency) as ${p}_paid,
  (select coalesce(sum(r.amount_cents), 0) from refunds r
    where r.created_at >= ${from} and r.created_at ${upTo} ${to} and r.currency = :currency
      and r.status not in ('failed', 'canceled')) as ${p}_refunded,
  (select coalesce(sum(n.credited_cents), 0) from credit_notes n
    where n.created_at >= ${from} and n.created_at ${upTo} ${to} and n.currency = :currency
      and n.type = 'post_payment' and n.status <> 'void') as ${p}_credited,
  (select coalesce(sum(i.discount_cents), 0) from invoices i
    where i.paid_at >= ${from} and i.paid_at ${upTo} ${to} and i.currency = :currency) as ${p}_discounted`;

/**
 * The same three sums per day or month label (column `b`) from `:from` up to `:to` (exclusive), for the
 * timeseries. Binds `:currency`, `:from`, `:to`.
 */
export const moneyFlowsByBucket = (bucket: (column: string) => string) => `select x.b,
    sum(x.paid) as paid, sum(x.refunded) as refunded, sum(x.credited) as credited
  from (
    select ${bucket('i.paid_at')} as b, ${PAID_EXCLUDING_TAX} as paid, 0 as refunded, 0 as credited
    from invoices i where i.paid_at >= :from and i.paid_at < :to and i.currency = :currency
    union all
    select ${bucket('r.created_at')}, 0, r.amount_cents, 0
    from refunds r where r.created_at >= :from and r.created_at < :to and r.currency = :currency
      and r.status not in ('failed', 'canceled')
    union all
    select ${bucket('n.created_at')}, 0, 0, n.credited_cents
    from credit_notes n where n.created_at >= :from and n.created_at < :to and n.currency = :currency
      and n.type = 'post_payment' and n.status <> 'void'
  ) x group by x.b`;

/**
 * Stripe's MRR movements, summed over rows (aliased `alias`) that each give one customer's ARR at the
 * start of a period (`a0`) and at its end (`a1`), and `back` = 1 when the customer had paid before the
 * period started. 0 → more is new (reactivated when `back`), more → 0 churned, up expansion, down
 * contraction; columns `<kind>_arr` (annualised cents) and `<kind>_n` (customers). The one statement of
 * the rule, for the month (`GET /admin/revenue`) and for each period of a range (`/movements`).
 */
export const movementSums = (alias: string) => {
  const kinds = {
    new: `${alias}.a0 = 0 and ${alias}.a1 > 0 and ${alias}.back = 0`,
    reactivated: `${alias}.a0 = 0 and ${alias}.a1 > 0 and ${alias}.back = 1`,
    expansion: `${alias}.a0 > 0 and ${alias}.a1 > ${alias}.a0`,
    contraction: `${alias}.a0 > 0 and ${alias}.a1 > 0 and ${alias}.a1 < ${alias}.a0`,
    churned: `${alias}.a0 > 0 and ${alias}.a1 = 0`,
  };
  const amount = {
    new: `${alias}.a1`,
    reactivated: `${alias}.a1`,
    expansion: `${alias}.a1 - ${alias}.a0`,
    contraction: `${alias}.a0 - ${alias}.a1`,
    churned: `${alias}.a0`,
  };
  return (Object.keys(kinds) as (keyof typeof kinds)[])
    .flatMap((k) => [
      `coalesce(sum(case when ${kinds[k]} then ${amount[k]} else 0 end), 0) as ${k}_arr`,
      `coalesce(sum(case when ${kinds[k]} then 1 else 0 end), 0) as ${k}_n`,
    ])
    .join(',\n      ');
};

/**
 * ARR, paying subscriptions and paying customers now, in one pass over the covering index on
 * `subscriptions(status, currency, customer_id, arr_cents)` (a separate pass for the distinct customers
 * costs more than counting them here).
 */
export const CURRENT = `select coalesce(sum(s.arr_cents), 0) as arr, count(*) as n,
    count(distinct s.customer_id) as customers
  from subscriptions s where s.status in ${PAYING} and s.currency = :currency`;

/**
 * The changes in one currency since `:from` that moved ARR or the paying count: the rest (a trial
 * starting, active → past_due) add 0 to every sum below, so dropping them early spares the groupings.
 * MATERIALIZED (SQLite ≥ 3.35, PostgreSQL ≥ 12) so that the rows are read once through the `(at,
 * currency)` index and shared by the figures below; inlined, SQLite would rather walk the whole table in
 * `subscription_id` order to save the GROUP BY a sort.
 */
export const moved = (from: string) =>
  `ch as materialized (select * from ${changes(`c.at >= ${from}`)} x where x.d_arr <> 0 or x.d_paying <> 0)`;

/**
 * Subscriber churn over the window after `:since`, from `ch`: per subscription, its changes since then sum
 * to (paying now) − (paying then), so −1 is one that paid then and does not now, whatever happened in
 * between.
 */
export const CHURN = `select coalesce(sum(x.d), 0) as d_paying, coalesce(sum(case when x.d < 0 then 1 else 0 end), 0) as churned
  from (select ch.subscription_id, sum(ch.d_paying) as d from ch
        where ch.at > :since and ch.d_paying <> 0 group by ch.subscription_id) x`;
