import type { EntityManager } from '@mikro-orm/core';
import { Subscription } from '../../db/entities';
import type { Customer } from '../../db/entities';
import { customerIdOf } from '../../db/customer-reads';
import { liveSubscriptionOf, type LiveSubscriptionRow } from '../../db/live-subscription';
import { notFound } from '../../domain/errors';
import type { Identity } from '../../domain/identity';
import { FINAL_STATUSES, isFinal } from '../../domain/subscription-status';
import { findCustomerFor } from '../customers/find-customer';
import type { CoreDeps } from '../deps';

/** The customer's current subscription: the newest one that has not ended. */
export async function findLiveSubscription(
  em: EntityManager,
  customer: Customer,
): Promise<Subscription | null> {
  const rows = await em.find(
    Subscription,
    { customer, status: { $nin: [...FINAL_STATUSES] } },
    { orderBy: { createdAt: 'desc' }, limit: 1, populate: ['plan'] },
  );
  return rows[0] ?? null;
}

/** The caller's customer record and live subscription, either of which may not exist yet. */
export async function ownLiveSubscription(deps: Pick<CoreDeps, 'orm'>, identity: Identity) {
  const em = deps.orm.em.fork();
  const customer = await findCustomerFor(em, identity);
  return { customer, sub: customer ? await findLiveSubscription(em, customer) : null };
}

/**
 * The caller's live subscription as the dashboard and the gateway read it (plain SQL, no entities), or
 * null when they have none.
 */
export async function ownSubscriptionView(
  deps: Pick<CoreDeps, 'orm'>,
  identity: Identity,
): Promise<LiveSubscriptionRow | null> {
  const customerId = await customerIdOf(deps.orm.em, identity.sub);
  return customerId ? liveSubscriptionOf(deps.orm.em, customerId) : null;
}

/** A subscription a request acts on: one that has not ended, or the caller has none to act on. */
export function requireLive(sub: Subscription | null): Subscription {
  if (!sub || isFinal(sub.status)) throw notFound('subscription');
  return sub;
}
