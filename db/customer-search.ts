import { raw, type FilterQuery } from '@mikro-orm/core';
import { FINAL_STATUSES } from '../domain/subscription-status';
import type { Customer } from './entities';
import { sqlList } from './raw-sql';

/**
 * Conditions on customers for the admin search, each a subquery on subscriptions rather than a join, so a
 * customer stays one row and keyset paging on the customers' own columns still holds. Each is built anew
 * for each query: a `raw()` key is good for one.
 */

const LIVE = (alias: string) => `${alias}.status not in ${sqlList(FINAL_STATUSES)}`;
/** No subscription of the same customer newer than `s` (by creation, then id) that also passes `among`. */
const newest = (among: string) =>
  `not exists (select 1 from subscriptions n where n.customer_id = s.customer_id and ${among} ` +
  `and (n.created_at > s.created_at or (n.created_at = s.created_at and n.id > s.id)))`;
const liveCustomers = `select customer_id from subscriptions s where ${LIVE('s')}`;

/** Customers one of whose subscriptions is this Stripe subscription: an operator pastes Stripe's id. */
export function withStripeSubscription(stripeSubscriptionId: string): FilterQuery<Customer> {
  return {
    [raw(
      (a: string) => `${a}.id in (select customer_id from subscriptions where stripe_subscription_id = ?)`,
      [stripeSubscriptionId],
    )]: [],
  } as FilterQuery<Customer>;
}

/** Customers with no live subscription (none, or all ended). */
export function withoutLiveSubscription(): FilterQuery<Customer> {
  return { [raw((a: string) => `${a}.id not in (${liveCustomers})`)]: [] } as FilterQuery<Customer>;
}

/** Customers whose newest subscription of all (the last to end, when none is live) has this final status and tier. */
export function newestEndedIn(status: string, tier: string | undefined): FilterQuery<Customer> {
  const params: unknown[] = [status, ...(tier ? [tier] : [])];
  const sub =
    `select customer_id from subscriptions s where s.status = ?${tier ? ' and s.tier = ?' : ''} ` +
    `and ${newest('1 = 1')}`;
  return { [raw((a: string) => `${a}.id in (${sub})`, params)]: [] } as FilterQuery<Customer>;
}

/** Customers whose newest live subscription has this tier and/or status (what the list shows as theirs). */
export function newestLiveIs(tier: string | undefined, status: string | undefined): FilterQuery<Customer> {
  const params: unknown[] = [...(tier ? [tier] : []), ...(status ? [status] : [])];
  const sub =
    `${liveCustomers}${tier ? ' and s.tier = ?' : ''}${status ? ' and s.status = ?' : ''} ` +
    `and ${newest(LIVE('n'))}`;
  return { [raw((a: string) => `${a}.id in (${sub})`, params)]: [] } as FilterQuery<Customer>;
}
