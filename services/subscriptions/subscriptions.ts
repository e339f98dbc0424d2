import { randomUUID } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/core';
import { Plan, Subscription } from '../../db/entities';
import { AppError, notFound } from '../../domain/errors';
import { centsToDollars } from '../../domain/money';
import { FINAL_STATUSES, isFinal } from '../../domain/subscription-status';
import type { Customer } from '../../db/entities';
import { pricesFor } from '../../db/plan-prices';
import type { Identity } from '../../domain/identity';
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

export interface PlanPrice {
  plan: Plan;
  priceId: string;
  /** The metered price billing overage for this cycle; null when the plan bills none. */
  usagePriceId: string | null;
  amountCents: number;
  interval: 'month' | 'year';
}

/**
 * The changePlan Update's arguments for moving a subscription onto `price` now or at period end. A
 * repeatable action (a migration) passes its own request id, so a second run changes nothing twice.
 */
export function planChangeRequest(
  price: PlanPrice,
  when: 'now' | 'period_end',
  requestId: string = randomUUID(),
) {
  return {
    planCode: price.plan.code,
    planId: price.plan.id,
    priceId: price.priceId,
    usagePriceId: price.usagePriceId,
    amountCents: price.amountCents,
    interval: price.interval,
    when,
    requestId,
  };
}

/** The current version of a plan and its Stripe price for the billing cycle. */
export async function resolvePlanPrice(
  em: EntityManager,
  code: string,
  cycle: 'monthly' | 'yearly',
  /** Where the plan code came from, for the errors' `details.field`. */
  field = 'body.tier_id',
): Promise<PlanPrice> {
  const plan = await em.findOne(Plan, { code, isCurrent: true, status: 'active' });
  if (!plan) throw new AppError('not_found', 'plan_not_found', `No plan "${code}"`, { field });
  const interval = cycle === 'yearly' ? 'year' : 'month';
  const { priceId, usagePriceId, amountCents, synced } = pricesFor(plan, interval);
  if (amountCents == null) {
    throw new AppError('invalid', 'billing_cycle_unavailable', `Plan "${code}" has no yearly price`, {
      field: field.replace(/tier_id$/, 'billing_cycle'),
    });
  }
  if (!synced || !priceId) {
    throw new AppError(
      'unavailable',
      'plan_not_synced',
      `Plan "${code}" has no Stripe price yet: run npm run stripe:sync`,
    );
  }
  return { plan, priceId, usagePriceId, amountCents, interval };
}

/** The caller's customer record and live subscription, either of which may not exist yet. */
export async function ownLiveSubscription(deps: Pick<CoreDeps, 'orm'>, identity: Identity) {
  const em = deps.orm.em.fork();
  const customer = await findCustomerFor(em, identity);
  return { customer, sub: customer ? await findLiveSubscription(em, customer) : null };
}

export function requireLive(sub: Subscription | null): Subscription {
  if (!sub || isFinal(sub.status)) throw notFound('subscription');
  return sub;
}

/** The seed's subscription fields (dollars) beside cents and dates in ISO 8601. */
export function subscriptionDto(sub: Subscription) {
  return {
    subscription_id: sub.id,
    tier: sub.tier,
    status: sub.status,
    current_period_start: sub.currentPeriodStart?.toISOString() ?? null,
    current_period_end: sub.currentPeriodEnd?.toISOString() ?? null,
    trial_end: sub.trialEnd?.toISOString() ?? null,
    cancel_at_period_end: sub.cancelAtPeriodEnd,
    amount: centsToDollars(sub.amountCents),
    amount_cents: sub.amountCents,
    interval: sub.interval,
    currency: sub.currency,
    stripe_subscription_id: sub.stripeSubscriptionId ?? null,
    pending_change: pendingChangeDto(
      sub.pendingTier && sub.pendingInterval && sub.pendingAmountCents != null && sub.pendingEffectiveAt
        ? {
            tier: sub.pendingTier,
            interval: sub.pendingInterval,
            amountCents: sub.pendingAmountCents,
            effectiveAt: sub.pendingEffectiveAt.toISOString(),
          }
        : null,
    ),
  };
}

/** A plan change waiting for period end, as answers show it; null when none is pending. */
export function pendingChangeDto(
  p: { tier: string; interval: 'month' | 'year'; amountCents: number; effectiveAt: string } | null,
) {
  if (!p) return null;
  return {
    tier: p.tier,
    billing_cycle: p.interval === 'year' ? ('yearly' as const) : ('monthly' as const),
    interval: p.interval,
    amount: centsToDollars(p.amountCents),
    amount_cents: p.amountCents,
    effective_at: p.effectiveAt,
  };
}
