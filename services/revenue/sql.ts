import { countsTowardMrr, SUBSCRIPTION_STATUSES } from '../../domain/subscription-status';

/**
 * The paying states as an SQL list, taken from the domain rule the mirror uses for `arr_cents`, so the
 * counts here and the sums of `arr_cents` cannot disagree on what pays.
 */
export const PAYING = `(${SUBSCRIPTION_STATUSES.filter(countsTowardMrr)
  .map((s) => `'${s}'`)
  .join(', ')})`;

/** 1 when a status column (possibly NULL: a change's old side) is a paying state, else 0. */
const payingFlag = (status: string) => `(case when ${status} in ${PAYING} then 1 else 0 end)`;

/** The annualised amount of one side of a change, as the mirror computes `arr_cents` for a row. */
const arrOf = (status: string, interval: string, amount: string) =>
  `(case when ${status} in ${PAYING} then case when ${interval} = 'year' then ${amount} ` +
  `else ${amount} * 12 end else 0 end)`;

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
