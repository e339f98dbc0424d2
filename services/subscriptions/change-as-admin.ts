import type { EntityManager } from '@mikro-orm/core';
import { cardRequired } from './pause-own-subscription';
import { createHash } from 'node:crypto';
import { billingCycleOf, type BillingCycle } from '../../domain/billing-cycle';
import { conflict, notFound } from '../../domain/errors';
import type { Identity } from '../../domain/identity';
import { centsToDollars } from '../../domain/money';
import { mrrCents } from '../../domain/plan-change';
import { SubscriptionChange, type Subscription } from '../../db/entities';
import { recordAudit } from '../../db/audit';
import { workflowIds } from '../../workflows/ids';
import {
  cancelSubscription,
  changePlan,
  pauseSubscription,
  resumeSubscription,
} from '../../workflows/messages';
import { customerByEmailAnyCase } from '../admin-lists/subscription-detail';
import type { CoreDeps } from '../deps';
import { clockOf } from '../../domain/clock';
import { callWorkflow } from '../temporal/gateway';
import { prorationPreview } from '../../domain/plan-change-proration';
import { refuseCouponNotForPlan } from './change-plan';
import { findLiveSubscription } from './live-subscription';
import { planChangeRequest, priceForSeats } from '../../db/plan-prices';
import { changeTiming, resolvePlanPrice } from './plan-price';

type When = 'now' | 'period_end';

/** The plan's price an admin moves `sub` to: in its currency, on its cycle unless named, for its seats. */
async function targetPrice(em: EntityManager, sub: Subscription, tierId: string, cycle?: BillingCycle) {
  const price = await resolvePlanPrice(
    em,
    tierId,
    cycle ?? billingCycleOf(sub.interval),
    'tierId',
    sub.currency,
  );
  return priceForSeats(price, sub);
}

/**
 * What moving the customer's live subscription to `tierId` would cost now; nothing is changed. Refused
 * as the change is onto a plan the subscription's coupon is not for.
 */
export async function previewAdminPlanChange(
  deps: CoreDeps,
  email: string,
  ask: { tierId: string; billingCycle?: BillingCycle; when?: When },
) {
  const em = deps.orm.em.fork();
  const sub = await findLiveSubscription(em, await customerByEmailAnyCase(em, email));
  if (!sub) throw notFound('subscription');
  const price = await targetPrice(em, sub, ask.tierId, ask.billingCycle);
  const when = changeTiming(sub, price, ask.when);
  const now = clockOf(deps).now();
  await refuseCouponNotForPlan(em, sub, price.plan.code, when, now);
  return prorationPreview(sub, price, when, now);
}

export interface AdminSubscriptionChange {
  tierId?: string;
  billingCycle?: BillingCycle;
  when?: When;
  status?: 'active' | 'paused' | 'canceled';
  cancelAtPeriodEnd: boolean;
  reason?: string;
  /** The caller's key for this change: a retry with the same key and request is the same change. */
  idempotencyKey?: string;
}

/**
 * The request id of an admin's change, the same for a retry of it so that the workflow applies it once
 * (its Update id) and Stripe charges once (the price change's idempotency key). With the caller's key it
 * is that key's, for this request; without one it is derived from the request and from the subscription's
 * state it was made against, so the same request after the state changed (the mirror caught up, another
 * change landed) is a new change.
 */
export function adminChangeRequestId(
  actor: Pick<Identity, 'sub'>,
  sub: Subscription,
  lastChangeId: string | null,
  change: AdminSubscriptionChange,
): string {
  const request = [
    actor.sub,
    sub.id,
    change.tierId ?? null,
    change.billingCycle ?? null,
    change.when ?? null,
    change.status ?? null,
    change.cancelAtPeriodEnd,
  ];
  const against =
    change.idempotencyKey !== undefined
      ? ['key', change.idempotencyKey]
      : [
          'state',
          sub.plan.id,
          sub.tier,
          sub.stripePriceId ?? null,
          sub.amountCents,
          sub.interval,
          sub.status,
          sub.cancelAtPeriodEnd,
          sub.pendingTier ?? null,
          sub.pendingInterval ?? null,
          sub.pendingAmountCents ?? null,
          sub.pendingEffectiveAt?.toISOString() ?? null,
          sub.pausedAt?.toISOString() ?? null,
          sub.canceledAt?.toISOString() ?? null,
          // The mirror's latest recorded change, so that a change back to an earlier state is new.
          lastChangeId,
        ];
  const digest = createHash('sha256')
    .update(JSON.stringify([...request, ...against]))
    .digest('hex');
  return `admin-${digest.slice(0, 40)}`;
}

/** What an admin's change did: each step the workflow applied, with the workflow's own answer to it. */
export interface AdminChangeResult {
  subscriptionId: string;
  email: string;
  applied: { action: string; result: unknown }[];
}

/**
 * A tier or status change, made by the subscription's workflow through its Updates (the workflow owns the
 * state and talks to Stripe), never by writing the table. Each applied step lands in the audit log with
 * the admin, the state before and the workflow's answer. Each step's Update carries the change's request
 * id, so a retry of the same change is answered by the workflow with the first result.
 */
export async function changeSubscriptionAsAdmin(
  deps: CoreDeps,
  actor: Identity,
  email: string,
  change: AdminSubscriptionChange,
): Promise<AdminChangeResult> {
  const em = deps.orm.em.fork();
  const customer = await customerByEmailAnyCase(em, email);
  const sub = await findLiveSubscription(em, customer);
  if (!sub) throw notFound('subscription');
  const handle = deps.temporal.workflow.getHandle(workflowIds.subscription(sub.id));
  const lastChange = await em.findOne(
    SubscriptionChange,
    { subscription: sub.id },
    { orderBy: { at: 'desc', id: 'desc' }, fields: ['id'] },
  );
  const requestId = adminChangeRequestId(actor, sub, lastChange?.id ?? null, change);
  const step = (name: string) => `${requestId}-${name}`;
  const before = { ...auditImage(sub), reason: change.reason ?? null };
  const applied: AdminChangeResult['applied'] = [];
  // Audited as each step succeeds, so a later step's failure never hides an earlier change.
  const record = async (action: string, result: unknown) => {
    applied.push({ action, result });
    recordAudit(em, {
      actor: actor,
      action,
      entityType: 'subscription',
      entityId: sub.id,
      before,
      after: result,
    });
    await em.flush();
  };

  if (change.tierId) {
    const price = await targetPrice(em, sub, change.tierId, change.billingCycle);
    const when = changeTiming(sub, price, change.when);
    // As for the customer: the coupon stays with the subscription, so it must be for the new plan.
    await refuseCouponNotForPlan(em, sub, price.plan.code, when, clockOf(deps).now());
    const id = step('change-plan');
    const result = await callWorkflow(deps, () =>
      handle.executeUpdate(changePlan, { args: [planChangeRequest(price, when, id)], updateId: id }),
    );
    await record('subscription.change_plan', result);
  }

  if (change.status === 'canceled') {
    const id = step('cancel');
    const view = await callWorkflow(deps, () =>
      handle.executeUpdate(cancelSubscription, {
        args: [{ atPeriodEnd: change.cancelAtPeriodEnd, requestId: id }],
        updateId: id,
      }),
    );
    await record('subscription.cancel', view);
  } else if (sub.awaitingCard && (change.status === 'paused' || change.status === 'active')) {
    throw cardRequired();
  } else if (change.status === 'paused' || (change.status === 'active' && sub.status === 'paused')) {
    const paused = change.status === 'paused';
    const id = step(paused ? 'pause' : 'unpause');
    const view = await callWorkflow(deps, () =>
      handle.executeUpdate(pauseSubscription, { args: [{ paused, requestId: id }], updateId: id }),
    );
    await record(paused ? 'subscription.pause' : 'subscription.unpause', view);
  } else if (change.status === 'active' && sub.cancelAtPeriodEnd) {
    const id = step('resume');
    const view = await callWorkflow(deps, () =>
      handle.executeUpdate(resumeSubscription, { args: [{ requestId: id }], updateId: id }),
    );
    await record('subscription.resume', view);
  } else if (change.status === 'active' && !change.tierId) {
    throw conflict('no_change', `The subscription is already ${sub.status} and not set to cancel`);
  }

  return { subscriptionId: sub.id, email: customer.email, applied };
}

/**
 * The audit log's stored image of a subscription before an admin's change. Entries already hold this
 * shape (the admin list's row as it was when the change was written), so it is kept as a storage format.
 */
function auditImage(s: Subscription) {
  return {
    id: s.stripeSubscriptionId ?? s.id,
    subscription_id: s.id,
    stripe_subscription_id: s.stripeSubscriptionId ?? null,
    customer: s.customer.stripeCustomerId ?? s.customer.id,
    customer_id: s.customer.id,
    email: s.customer.email,
    tier: s.tier,
    status: s.status,
    amount: centsToDollars(s.amountCents),
    amount_cents: s.amountCents,
    mrr_cents: mrrCents(s.status, s),
    currency: s.currency,
    interval: s.interval,
    current_period_start: s.currentPeriodStart?.toISOString() ?? null,
    current_period_end: s.currentPeriodEnd?.toISOString() ?? null,
    trial_end: s.trialEnd?.toISOString() ?? null,
    cancel_at_period_end: s.cancelAtPeriodEnd,
    canceled_at: s.canceledAt?.toISOString() ?? null,
    created: s.createdAt.toISOString(),
  };
}
