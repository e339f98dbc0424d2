import type { EntityManager } from '@mikro-orm/core';
import { FINAL_STATUSES, type SubscriptionStatus } from '../domain/subscription-status';
import { sqlFor } from './raw-sql';

/**
 * What the intake reads to find whom a Stripe event concerns, each one read of ids: on PostgreSQL a statement
 * prepared once per connection with its values bound, where the entity manager built, quoted and planned
 * each anew and made entities of rows read only for their ids (the intake reads them for every event).
 */

/**
 * An id no row can hold: PostgreSQL refuses NUL in text, so a read for it would fail where the answer is
 * that there is none (SQLite answers the same, to keep one behaviour).
 */
const unstorable = (id: string) => id.includes('\u0000');

/** Our subscription's id for Stripe's, or null when the mirror has no such subscription. */
export async function subscriptionIdOfStripe(
  em: EntityManager,
  stripeSubscriptionId: string,
): Promise<string | null> {
  if (unstorable(stripeSubscriptionId)) return null;
  const [row] = await sqlFor(em).read<{ id: string }>(
    'select id from subscriptions where stripe_subscription_id = ?',
    [stripeSubscriptionId],
  );
  return row?.id ?? null;
}

/** Our customer's id for Stripe's, or null when no customer is linked to it. */
export async function customerIdOfStripe(
  em: EntityManager,
  stripeCustomerId: string,
): Promise<string | null> {
  if (unstorable(stripeCustomerId)) return null;
  const [row] = await sqlFor(em).read<{ id: string }>(
    'select id from customers where stripe_customer_id = ?',
    [stripeCustomerId],
  );
  return row?.id ?? null;
}

/** Our customer for Stripe's, as a subscription's start names them; null when none is linked to it. */
export async function customerOfStripe(
  em: EntityManager,
  stripeCustomerId: string,
): Promise<{ id: string; email: string } | null> {
  if (unstorable(stripeCustomerId)) return null;
  const [row] = await sqlFor(em).read<{ id: string; email: string }>(
    'select id, email from customers where stripe_customer_id = ?',
    [stripeCustomerId],
  );
  return row ? { id: row.id, email: row.email } : null;
}

/** The subscriptions of Stripe's customer that have not ended, ours and Stripe's id (null before it has one). */
export async function liveSubscriptionsOfStripeCustomer(
  em: EntityManager,
  stripeCustomerId: string,
): Promise<{ subscriptionId: string; stripeSubscriptionId: string | null }[]> {
  if (unstorable(stripeCustomerId)) return [];
  const rows = await sqlFor(em).read<{ id: string; stripe_subscription_id: string | null }>(
    `select s.id, s.stripe_subscription_id from subscriptions s join customers c on c.id = s.customer_id
      where c.stripe_customer_id = ? and s.status not in (${FINAL_STATUSES.map(() => '?').join(', ')})
      order by s.id`,
    [stripeCustomerId, ...FINAL_STATUSES],
  );
  return rows.map((r) => ({ subscriptionId: r.id, stripeSubscriptionId: r.stripe_subscription_id ?? null }));
}

/** A subscription's status in the mirror, or null when it has no row. */
export async function subscriptionStatusOf(
  em: EntityManager,
  subscriptionId: string,
): Promise<SubscriptionStatus | null> {
  if (unstorable(subscriptionId)) return null;
  const [row] = await sqlFor(em).read<{ status: SubscriptionStatus }>(
    'select status from subscriptions where id = ?',
    [subscriptionId],
  );
  return row?.status ?? null;
}
