import type { EntityManager } from '@mikro-orm/core';
import type Stripe from 'stripe';
import { Subscription } from '../../db/entities';
import { pricedPlanOfPrice, pricesFor } from '../../db/plan-prices';
import {
  customerOfStripe,
  liveSubscriptionsOfStripeCustomer,
  subscriptionIdOfStripe,
} from '../../db/stripe-event-targets';
import { planItem } from '../../integrations/stripe/plan-item';
import type { SubscriptionInput } from '../../workflows/subscription';
import { subscriptionIdOfForeign } from '../../integrations/stripe/subscription-owner';
import type { EventOwner } from './route';

/** A subscription an event concerns: our id and, when known, Stripe's. */
export interface EventTarget {
  subscriptionId: string;
  stripeSubscriptionId: string | null;
  /**
   * Neither the event nor the mirror names our subscription: Stripe made it (its dashboard, its API), and
   * the id is the one derived from Stripe's. Its run may not exist yet.
   */
  madeInStripe?: true;
}

/**
 * Our subscription id for a Stripe subscription id. The pair never changes once the row exists, so the
 * forwarder keeps what it has looked up (bounded) and a burst of events for one subscription costs one
 * query.
 */
export class RouteCache {
  private readonly ids = new Map<string, string>();
  constructor(private readonly max = 10_000) {}

  get(stripeSubscriptionId: string): string | undefined {
    return this.ids.get(stripeSubscriptionId);
  }

  set(stripeSubscriptionId: string, subscriptionId: string): void {
    if (this.ids.size >= this.max) this.ids.delete(this.ids.keys().next().value as string);
    this.ids.set(stripeSubscriptionId, subscriptionId);
  }
}

/** The subscriptions an event concerns: every live one of the customer for a card, else its owner. */
export async function targetsOf(
  em: EntityManager,
  event: Stripe.Event,
  owner: EventOwner,
  routes?: RouteCache,
): Promise<EventTarget[]> {
  if (event.type.startsWith('payment_method.')) {
    if (!owner.stripeCustomerId) return [];
    return liveSubscriptionsOfStripeCustomer(em, owner.stripeCustomerId);
  }
  if (!owner.stripeSubscriptionId && !owner.subscriptionId) return [];
  let subscriptionId = owner.subscriptionId;
  if (!subscriptionId && owner.stripeSubscriptionId) {
    subscriptionId = routes?.get(owner.stripeSubscriptionId) ?? null;
    if (!subscriptionId) {
      const id = await subscriptionIdOfStripe(em, owner.stripeSubscriptionId);
      if (id) routes?.set(owner.stripeSubscriptionId, id);
      else
        return [
          {
            subscriptionId: subscriptionIdOfForeign(owner.stripeSubscriptionId),
            stripeSubscriptionId: owner.stripeSubscriptionId,
            madeInStripe: true,
          },
        ];
      subscriptionId = id;
    }
  }
  return subscriptionId ? [{ subscriptionId, stripeSubscriptionId: owner.stripeSubscriptionId }] : [];
}

/** The input that starts a subscription's workflow when Stripe made the subscription (dashboard, portal). */
export async function startInputFor(
  em: EntityManager,
  subscriptionId: string,
  stripeSubscriptionId: string,
  stripeCustomerId: string | null,
  event: Stripe.Event,
  /** False when the caller just found it has no row (not read again); otherwise its row is read here. */
  stored = true,
): Promise<SubscriptionInput | null> {
  const row = stored
    ? await em.findOne(Subscription, subscriptionId, { populate: ['customer', 'plan'] })
    : null;
  const customer = row?.customer ?? (stripeCustomerId ? await customerOfStripe(em, stripeCustomerId) : null);
  if (!customer) return null;
  const sub = event.data.object as Stripe.Subscription;
  const priceId = row?.stripePriceId ?? (sub.items ? planItem(sub)?.price.id : null) ?? null;
  const owner = priceId ? await pricedPlanOfPrice(em, priceId) : null;
  const plan = row?.plan ?? owner?.plan;
  if (!plan) return null;
  const interval = owner?.interval ?? 'month';
  return {
    subscriptionId,
    customerId: customer.id,
    email: customer.email,
    stripeSubscriptionId,
    plan: {
      planId: plan.id,
      planCode: plan.code,
      priceId: priceId ?? '',
      amountCents:
        pricesFor(plan, interval, owner?.currency ?? row?.currency).amountCents ?? plan.priceMonthlyCents,
      currency: owner?.currency ?? row?.currency ?? plan.currency,
      interval,
      trialDays: plan.trialDays,
    },
  };
}
