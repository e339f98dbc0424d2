import type { EntityManager } from '@mikro-orm/core';
import { BillingEvent, Plan, type Subscription } from '../../db/entities';
import { newId } from '../../db/ids';
import { subscriptionEvents, type SubscriptionState } from '../../domain/subscription-events';
import { grantsAccess } from '../../domain/subscription-status';
import { systemClock, type Clock } from '../../domain/clock';
import { subscriptionObject } from '../../integrations/webhooks/objects';

/**
 * Adds the outgoing events of one recorded change of a subscription to the unit of work (flushed with
 * the change): `subscription.*` with the subscription as the API shows it, and `access.changed` with
 * what the customer may use now. Named after the change, so a change is published once.
 */
export async function recordSubscriptionEvents(
  em: EntityManager,
  row: Subscription,
  before: SubscriptionState,
  changeId: string,
  clock: Clock = systemClock,
): Promise<void> {
  const events = subscriptionEvents(before, { status: row.status, tier: row.tier });
  const customerId = row.customer.id;
  const at = clock.now();
  const add = (type: string, payload: Record<string, unknown>) =>
    em.create(BillingEvent, {
      id: newId('bev'),
      customerId,
      type,
      payload,
      dedupeKey: `${type}:${changeId}`,
      createdAt: at,
    });
  if (events.subscription) add(events.subscription, subscriptionObject(row));
  if (events.accessChanged) {
    const plan = await em.findOneOrFail(Plan, { id: row.plan.id });
    const allowed = grantsAccess(row.status);
    add('access.changed', {
      cause: 'subscription',
      subscription_id: row.id,
      tier: row.tier,
      status: row.status,
      allowed,
      services: allowed ? plan.services : [],
      daily_api_calls: allowed ? (plan.dailyApiCalls ?? null) : null,
      previous: { tier: before.tier, status: before.status, allowed: grantsAccess(before.status) },
    });
  }
}
