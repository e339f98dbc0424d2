import { randomUUID } from 'node:crypto';
import { WithStartWorkflowOperation } from '@temporalio/client';
import type { EntityManager } from '@mikro-orm/core';
import { PaymentMethod, Subscription } from '../../../db/entities';
import { newId } from '../../../db/ids';
import { AppError, conflict, notFound } from '../../../domain/errors';
import { centsToDollars } from '../../../domain/money';
import { planChangeTiming } from '../../../domain/plan-change';
import { previewProration } from '../../../domain/proration';
import { isValidContinuation, signupFeeCents, TRIAL_TIER } from '../../../domain/trial';
import { attachPaymentMethodWorkflow, portalSessionWorkflow, subscriptionWorkflow } from '../../../workflows';
import { workflowIds } from '../../../workflows/ids';
import {
  beginCheckout,
  cancelSubscription,
  changePlan,
  resumeSubscription,
  type PendingChange,
} from '../../../workflows/messages';
import type { HandlerInput } from '../../route';
import { ensureCustomer } from '../../../services/customers/ensure-customer';
import { callWorkflow } from '../../../services/temporal/gateway';
import { findCustomerFor } from '../../../services/customers/find-customer';
import {
  findLiveSubscription,
  pendingChangeDto,
  planChangeRequest,
  type PlanPrice,
  requireLive,
  resolvePlanPrice,
  subscriptionDto,
} from '../../../services/subscriptions/subscriptions';
import type {
  attachPaymentMethodBody,
  cancelBody,
  checkoutBody,
  emptyBody,
  portalBody,
  upgradeBody,
} from './schemas';

type In<B = undefined> = HandlerInput<undefined, undefined, B, 'viewer'>;

/** The workflow's pending change in the answers' shape. */
function pendingOf(p: PendingChange | null | undefined) {
  return pendingChangeDto(
    p
      ? { tier: p.planCode, interval: p.interval, amountCents: p.amountCents, effectiveAt: p.effectiveAt }
      : null,
  );
}

/** A page of ours on the public address customers use (PUBLIC_BASE_URL), else the address they called. */
function appUrl(input: Pick<In, 'ctx' | 'deps'>, path: string): string {
  const base =
    input.deps.config.PUBLIC_BASE_URL?.replace(/\/$/, '') ?? `${input.ctx.protocol}://${input.ctx.host}`;
  return `${base}${path}`;
}

async function liveSubscriptionOf({ deps, identity }: In<unknown>) {
  const em = deps.orm.em.fork();
  const customer = await findCustomerFor(em, identity);
  return { customer, sub: customer ? await findLiveSubscription(em, customer) : null };
}

/**
 * Whether this customer (by id, or by email across accounts) ever had a trial that got past checkout, or
 * holds a card that paid for one. A checkout abandoned before payment does not count.
 */
async function trialAlreadyUsed(em: EntityManager, customerId: string, email: string): Promise<boolean> {
  const used = await em.count(Subscription, {
    $and: [
      { $or: [{ customer: customerId }, { customer: { email: email.toLowerCase() } }] },
      { $or: [{ trialEnd: { $ne: null } }, { tier: 'trial' }] },
      { status: { $ne: 'incomplete' } },
    ],
  });
  if (used > 0) return true;
  // A saved card that already paid for a trial, under any account. A card first typed into Checkout is
  // only known once paid: the workflow refuses that trial then (claimTrialCard).
  const cards = await em.find(PaymentMethod, {
    customer: customerId,
    detachedAt: null,
    fingerprint: { $ne: null },
  });
  const fingerprints = cards.map((c) => c.fingerprint).filter((f): f is string => !!f);
  return (
    fingerprints.length > 0 &&
    (await em.count(Subscription, { trialCardFingerprint: { $in: fingerprints } })) > 0
  );
}

/** The one-time charge a plan takes at signup (the trial tier's $1.00), as Checkout bills it. */
function signupFeeOf(price: PlanPrice) {
  const amountCents = signupFeeCents({ code: price.plan.code, amountCents: price.amountCents });
  if (amountCents === 0) return null;
  if (!price.plan.stripeProductId) {
    throw new AppError(503, 'plan_not_synced', `Plan "${price.plan.code}" has no Stripe product yet`);
  }
  return { amountCents, currency: price.plan.currency, stripeProductId: price.plan.stripeProductId };
}

/** The paid plan a trial-tier signup continues with on day 7, checked as the continuation route checks it. */
async function signupContinuation(
  em: EntityManager,
  trial: PlanPrice,
  pick: { tier_id: string; billing_cycle: 'monthly' | 'yearly' },
) {
  if (trial.plan.code !== TRIAL_TIER) {
    throw new AppError(400, 'continuation_not_allowed', 'Only a trial takes a plan to continue with', {
      field: 'body.continuation',
    });
  }
  const next = await resolvePlanPrice(em, pick.tier_id, pick.billing_cycle, 'body.continuation.tier_id');
  if (!isValidContinuation(next.plan.code, next.amountCents)) {
    throw new AppError(400, 'invalid_continuation', 'A trial continues with a paid plan', {
      field: 'body.continuation.tier_id',
    });
  }
  return {
    planCode: next.plan.code,
    planId: next.plan.id,
    priceId: next.priceId,
    usagePriceId: next.usagePriceId,
    amountCents: next.amountCents,
    interval: next.interval,
  };
}

/** Starts the subscription's workflow and asks it, in the same call, for a Checkout page. */
export async function createCheckout(input: In<typeof checkoutBody>) {
  const { deps, identity, body } = input;
  const customer = await ensureCustomer(deps, identity);
  const em = deps.orm.em.fork();
  const { sub: existing } = await liveSubscriptionOf(input);
  if (existing && existing.status !== 'incomplete') {
    throw conflict(
      'subscription_exists',
      `You already have a ${existing.tier} subscription; change its plan instead`,
    );
  }
  const price = await resolvePlanPrice(em, body.tier_id, body.billing_cycle);
  if (price.plan.trialDays > 0 && (await trialAlreadyUsed(em, customer.customerId, identity.email))) {
    throw conflict('trial_already_used', 'A trial can be started once per customer; choose a paid plan', {
      field: 'body.tier_id',
    });
  }
  const continuation = body.continuation ? await signupContinuation(em, price, body.continuation) : null;
  const subscriptionId = newId('subs');
  const start = new WithStartWorkflowOperation(subscriptionWorkflow, {
    workflowId: workflowIds.subscription(subscriptionId),
    taskQueue: deps.config.TEMPORAL_TASK_QUEUE,
    workflowIdConflictPolicy: 'USE_EXISTING',
    args: [
      {
        subscriptionId,
        customerId: customer.customerId,
        email: identity.email,
        plan: {
          planId: price.plan.id,
          planCode: price.plan.code,
          priceId: price.priceId,
          usagePriceId: price.usagePriceId,
          amountCents: price.amountCents,
          interval: price.interval,
          trialDays: price.plan.trialDays,
          signupFee: signupFeeOf(price),
        },
        ...(continuation ? { continuation: { ...continuation, requestId: `signup:${subscriptionId}` } } : {}),
      },
    ],
  });
  const session = await callWorkflow(deps, () =>
    deps.temporal.workflow.executeUpdateWithStart(beginCheckout, {
      args: [
        {
          successUrl: body.success_url ?? appUrl(input, '/billing/success?session_id={CHECKOUT_SESSION_ID}'),
          cancelUrl: body.cancel_url ?? appUrl(input, '/billing/canceled'),
        },
      ],
      startWorkflowOperation: start,
    }),
  );
  return { checkout_url: session.url, session_id: session.sessionId, subscription_id: subscriptionId };
}

export async function createPortal({ deps, identity, body, ctx }: In<typeof portalBody>) {
  const customer = await ensureCustomer(deps, identity);
  const session = await callWorkflow(deps, () =>
    deps.temporal.workflow.execute(portalSessionWorkflow, {
      workflowId: `portal-${customer.customerId}-${randomUUID()}`,
      taskQueue: deps.config.TEMPORAL_TASK_QUEUE,
      args: [
        { customerId: customer.customerId, returnUrl: body.return_url ?? appUrl({ ctx, deps }, '/billing') },
      ],
    }),
  );
  return { portal_url: session.url };
}

export async function getSubscription(input: In) {
  const { sub } = await liveSubscriptionOf(input);
  return sub ? subscriptionDto(sub) : NO_SUBSCRIPTION;
}

/** What a caller without a subscription has: the free tier (no paid services), nothing billed. */
const NO_SUBSCRIPTION = {
  subscription_id: null,
  tier: 'free' as const,
  status: 'none' as const,
  current_period_start: null,
  current_period_end: null,
  trial_end: null,
  cancel_at_period_end: false as const,
  amount: 0 as const,
  amount_cents: 0 as const,
  interval: null,
  currency: null,
  stripe_subscription_id: null,
  pending_change: null,
};

export async function getSubscriptionStatus(input: In) {
  const { sub } = await liveSubscriptionOf(input);
  if (!sub) return { has_subscription: false, tier: null, status: 'none' };
  return { has_subscription: true, ...subscriptionDto(sub) };
}

/** Plan change through the subscription workflow's Update, or only its proration preview. */
export async function upgradeSubscription(input: In<typeof upgradeBody>) {
  const { deps, body } = input;
  const sub = requireLive((await liveSubscriptionOf(input)).sub);
  const price = await resolvePlanPrice(deps.orm.em.fork(), body.new_tier_id, body.billing_cycle);
  const when = planChangeTiming(sub, price, body.when);
  if (body.preview) {
    const p = previewProration({
      oldAmountCents: sub.amountCents,
      newAmountCents: price.amountCents,
      periodStartMs: sub.currentPeriodStart?.getTime() ?? Date.now(),
      periodEndMs: sub.currentPeriodEnd?.getTime() ?? Date.now(),
      atMs: Date.now(),
      intervalChanges: sub.interval !== price.interval,
    });
    const now = when === 'now';
    return {
      preview: true,
      when,
      new_tier: price.plan.code,
      credit_cents: now ? p.creditCents : 0,
      charge_cents: now ? p.chargeCents : 0,
      amount_due_now_cents: now ? Math.max(0, p.netCents) : 0,
      amount_due_now: centsToDollars(now ? Math.max(0, p.netCents) : 0),
      next_amount_cents: price.amountCents,
    };
  }
  const result = await callWorkflow(deps, () =>
    deps.temporal.workflow
      .getHandle(workflowIds.subscription(sub.id))
      .executeUpdate(changePlan, { args: [planChangeRequest(price, when)] }),
  );
  return {
    success: true,
    status: result.status,
    new_tier: result.tier,
    effective_at: result.effectiveAt,
    // A change waiting for period end that this one replaced (an upgrade, or another change).
    replaced_pending_change: pendingOf(result.replacedPendingChange),
  };
}

export async function cancel(input: In<typeof cancelBody>) {
  const sub = requireLive((await liveSubscriptionOf(input)).sub);
  const named = input.body.subscription_id;
  // Another customer's subscription, or one that has ended, is not found (never "forbidden").
  if (named !== undefined && named !== sub.id && named !== sub.stripeSubscriptionId)
    throw notFound('subscription');
  const view = await callWorkflow(input.deps, () =>
    input.deps.temporal.workflow
      .getHandle(workflowIds.subscription(sub.id))
      .executeUpdate(cancelSubscription, {
        args: [{ atPeriodEnd: input.body.at_period_end, requestId: randomUUID() }],
      }),
  );
  return {
    success: true,
    status: view.status,
    cancel_at_period_end: view.cancelAtPeriodEnd,
    current_period_end: view.currentPeriodEnd,
    // Kept through a cancellation at period end (it applies if the customer resumes); ended by cancel now.
    pending_change: pendingOf(view.pendingChange),
    canceled_pending_change: pendingOf(view.canceledPendingChange),
  };
}

export async function resume(input: In<typeof emptyBody>) {
  const sub = requireLive((await liveSubscriptionOf(input)).sub);
  const view = await callWorkflow(input.deps, () =>
    input.deps.temporal.workflow
      .getHandle(workflowIds.subscription(sub.id))
      .executeUpdate(resumeSubscription, {
        args: [{ requestId: randomUUID() }],
      }),
  );
  return {
    success: true,
    status: view.status,
    cancel_at_period_end: view.cancelAtPeriodEnd,
    pending_change: pendingOf(view.pendingChange),
  };
}

export async function listPaymentMethods({ deps, identity }: In) {
  const em = deps.orm.em.fork();
  const customer = await findCustomerFor(em, identity);
  if (!customer) return [];
  const rows = await em.find(
    PaymentMethod,
    { customer, detachedAt: null },
    { orderBy: { createdAt: 'desc' } },
  );
  return rows.map((pm) => ({
    id: pm.stripePaymentMethodId,
    type: pm.type,
    card: {
      brand: pm.brand ?? null,
      last4: pm.last4 ?? null,
      exp_month: pm.expMonth ?? null,
      exp_year: pm.expYear ?? null,
    },
    is_default: pm.isDefault,
    created: pm.createdAt.toISOString(),
  }));
}

export async function attachPaymentMethod({ deps, identity, body }: In<typeof attachPaymentMethodBody>) {
  const customer = await ensureCustomer(deps, identity);
  const pm = await callWorkflow(deps, () =>
    deps.temporal.workflow.execute(attachPaymentMethodWorkflow, {
      workflowId: `payment-method-${body.payment_method_id}`,
      taskQueue: deps.config.TEMPORAL_TASK_QUEUE,
      workflowIdConflictPolicy: 'USE_EXISTING',
      args: [
        {
          customerId: customer.customerId,
          paymentMethodId: body.payment_method_id,
          makeDefault: body.make_default,
        },
      ],
    }),
  );
  return {
    success: true,
    payment_method_id: pm.paymentMethodId,
    card: { brand: pm.brand, last4: pm.last4 },
    is_default: pm.isDefault,
  };
}
