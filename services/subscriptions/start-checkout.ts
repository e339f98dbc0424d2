import { WithStartWorkflowOperation } from '@temporalio/client';
import type { EntityManager } from '@mikro-orm/core';
import type { BillingCycle } from '../../domain/billing-cycle';
import { PaymentMethod, Subscription } from '../../db/entities';
import { newId } from '../../db/ids';
import { AppError, conflict } from '../../domain/errors';
import { registeredCode } from '../../domain/error-codes';
import type { Identity } from '../../domain/identity';
import { CHECKOUT_SESSION_LIFETIME_MS, MAX_OPEN_CHECKOUTS, mayOpenCheckout } from '../../domain/rate-limit';
import { isValidContinuation, signupFeeCents, TRIAL_TIER } from '../../domain/trial';
import { workflowIds } from '../../workflows/ids';
import { beginCheckout } from '../../workflows/messages';
import type { SubscriptionInput } from '../../workflows/subscription';
import { ensureCustomer } from '../customers/ensure-customer';
import { findCustomerFor } from '../customers/find-customer';
import type { CoreDeps } from '../deps';
import { clockOf } from '../../domain/clock';
import { callWorkflow } from '../temporal/gateway';
import { workflowType } from '../temporal/workflow-type';
import { ownLiveSubscription } from './live-subscription';
import type { PlanPrice } from '../../db/plan-prices';
import { resolvePlanPrice } from './plan-price';
import { promotionCodeFor } from '../coupons/coupons';
import { checkoutCurrency } from '../../domain/currency/checkout';
import {
  seatAmountCents,
  seatCountProblem,
  seatPlanChangeProblem,
  seatsAtCheckout,
  seatTermsOf,
} from '../../domain/seats';
import {
  billingAnchorRefusal,
  checkoutWindow,
  nextCalendarAnchor,
  type BillingAnchor,
} from '../../domain/billing-anchor';

export interface CheckoutRequest {
  tierId: string;
  billingCycle: BillingCycle;
  /** A trial-tier signup's plan for day 7. */
  continuation?: { tierId: string; billingCycle: BillingCycle } | null;
  successUrl: string;
  cancelUrl: string;
  /** A promotion code as the customer typed it. */
  promotionCode?: string | null;
  /** The currency to pay in; fixed once a first checkout went through, and then only that one is taken. */
  currency?: string | null;
  /** Calendar or anniversary billing; without it, the plan's. */
  billingAnchor?: BillingAnchor | null;
  /** Seats, on a plan priced per seat; without it, the plan's minimum. */
  seats?: number | null;
}

/**
 * Starts the subscription's workflow and asks it, in the same call, for a Checkout page. One live
 * subscription per customer, one trial per customer (by account, email and card).
 */
export async function startCheckout(deps: CoreDeps, identity: Identity, req: CheckoutRequest) {
  const em = deps.orm.em.fork();
  const now = clockOf(deps).now();
  // Before any workflow is started or joined: a caller past the cap costs no Temporal or Stripe call.
  const known = await findCustomerFor(em, identity);
  if (known) await refuseTooManyOpenCheckouts(em, known.id, now);
  const customer = await ensureCustomer(deps, identity);
  const { sub: existing } = await ownLiveSubscription(deps, identity);
  if (existing && existing.status !== 'incomplete') {
    throw conflict(
      'subscription_exists',
      `You already have a ${existing.tier} subscription; change its plan instead`,
    );
  }
  const currency = checkoutCurrency(known?.currency ?? null, req.currency ?? null);
  if ('code' in currency)
    throw new AppError(currency.kind, registeredCode(currency.code), currency.message, {
      field: 'currency',
      ...currency.details,
    });
  const price = await resolvePlanPrice(em, req.tierId, req.billingCycle, 'tierId', currency.currency);
  if (price.plan.trialDays > 0 && (await trialAlreadyUsed(em, customer.customerId, identity.email))) {
    throw conflict('trial_already_used', 'A trial can be started once per customer; choose a paid plan', {
      field: 'tierId',
    });
  }
  const billingAnchor = checkoutAnchor(price, req.billingAnchor ?? null, now);
  const seats = checkoutSeats(price, req.seats ?? null);
  const continuation = req.continuation ? await signupContinuation(em, price, req.continuation) : null;
  const promotion = req.promotionCode
    ? await promotionCodeFor(em, req.promotionCode, {
        customerId: customer.customerId,
        planCode: price.plan.code,
        currency: price.currency,
        amountCents: seatAmountCents(price.amountCents, seats, seatTermsOf(price.plan)?.tiers),
        now,
      })
    : null;
  const subscriptionId = newId('subs');
  const start = new WithStartWorkflowOperation(workflowType('subscriptionWorkflow'), {
    workflowId: workflowIds.subscription(subscriptionId),
    taskQueue: deps.config.TEMPORAL_TASK_QUEUE,
    workflowIdConflictPolicy: 'USE_EXISTING',
    args: [
      {
        subscriptionId,
        customerId: customer.customerId,
        email: identity.email,
        plan: {
          ...subscriptionPlanOf(price),
          ...(billingAnchor === 'calendar' ? { billingAnchor } : {}),
          ...(seatTermsOf(price.plan)
            ? {
                seats,
                amountCents: seatAmountCents(price.amountCents, seats, seatTermsOf(price.plan)?.tiers),
              }
            : {}),
        },
        ...(continuation ? { continuation: { ...continuation, requestId: `signup:${subscriptionId}` } } : {}),
      },
    ],
  });
  const session = await callWorkflow(deps, () =>
    deps.temporal.workflow.executeUpdateWithStart(beginCheckout, {
      args: [
        {
          successUrl: req.successUrl,
          cancelUrl: req.cancelUrl,
          ...(promotion ? { promotionCodeId: promotion.stripePromotionCodeId } : {}),
        },
      ],
      startWorkflowOperation: start,
    }),
  );
  return { checkoutUrl: session.url, sessionId: session.sessionId, subscriptionId };
}

/** The seats checkout sells: the plan's minimum unless named, refused outside its range (400). */
function checkoutSeats(price: PlanPrice, asked: number | null): number {
  const terms = seatTermsOf(price.plan);
  const seats = seatsAtCheckout(terms, asked);
  const problem = asked === null && !terms ? null : seatCountProblem(terms, seats);
  if (problem) throw new AppError('invalid', problem.code, problem.message, { field: 'seats' });
  return seats;
}

/**
 * The anchor the customer asked for, or the plan's, refused where calendar billing cannot hold (400
 * `anchor_not_supported`) or the 1st is too near for a Checkout session to close before it (409).
 */
function checkoutAnchor(price: PlanPrice, asked: BillingAnchor | null, now: Date): BillingAnchor {
  const anchor = asked ?? price.plan.billingAnchor ?? 'anniversary';
  const refusal = billingAnchorRefusal({ ...price.plan, billingAnchor: anchor });
  if (refusal) throw new AppError('invalid', 'anchor_not_supported', refusal, { field: 'billingAnchor' });
  if (anchor === 'calendar' && price.plan.trialDays === 0) {
    const nowS = Math.floor(now.getTime() / 1000);
    const window = checkoutWindow(nowS, nextCalendarAnchor(nowS));
    if (!window.ok)
      throw conflict(
        'checkout_too_close_to_anchor',
        'Calendar billing starts on the 1st, less than half an hour away: check out after midnight UTC',
        { field: 'billingAnchor', retry_after_seconds: window.retryAfterS },
      );
  }
  return anchor;
}

/**
 * Each checkout starts a workflow and makes a Stripe Checkout Session that stays open for a day, so one
 * account looping checkout/create would fill Temporal and Stripe with abandoned ones. A session open is a
 * subscription still incomplete (a paid or trialing one has moved on) made within a session's lifetime.
 */
async function refuseTooManyOpenCheckouts(em: EntityManager, customerId: string, now: Date): Promise<void> {
  const open = await em.count(Subscription, {
    customer: customerId,
    status: 'incomplete',
    createdAt: { $gt: new Date(now.getTime() - CHECKOUT_SESSION_LIFETIME_MS) },
  });
  if (!mayOpenCheckout(open)) {
    throw conflict(
      'too_many_open_checkouts',
      `You have ${open} checkouts open; finish one of them or wait until they expire (a day after they were made)`,
      { open_checkouts: open, max_open_checkouts: MAX_OPEN_CHECKOUTS },
    );
  }
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

/** The plan a subscription's workflow starts on, from the price checkout resolved. */
export function subscriptionPlanOf(price: PlanPrice): SubscriptionInput['plan'] {
  return {
    planId: price.plan.id,
    planCode: price.plan.code,
    priceId: price.priceId,
    usagePriceId: price.usagePriceId,
    amountCents: price.amountCents,
    interval: price.interval,
    trialDays: price.plan.trialDays,
    ...(price.plan.trialDays > 0 && price.plan.trialWithoutCard
      ? { trialWithoutCard: price.plan.trialWithoutCard }
      : {}),
    signupFee: signupFeeOf(price),
    currency: price.currency,
  };
}

/** The one-time charge a plan takes at signup (the trial tier's $1.00), as Checkout bills it. */
function signupFeeOf(price: PlanPrice) {
  const amountCents = signupFeeCents({ code: price.plan.code, amountCents: price.amountCents });
  if (amountCents === 0) return null;
  if (!price.plan.stripeProductId) {
    throw new AppError(
      'unavailable',
      'plan_not_synced',
      `Plan "${price.plan.code}" has no Stripe product yet`,
    );
  }
  return { amountCents, currency: price.currency, stripeProductId: price.plan.stripeProductId };
}

/** The paid plan a trial-tier signup continues with on day 7, checked as the continuation route checks it. */
async function signupContinuation(
  em: EntityManager,
  trial: PlanPrice,
  pick: { tierId: string; billingCycle: BillingCycle },
) {
  if (trial.plan.code !== TRIAL_TIER) {
    throw new AppError('invalid', 'continuation_not_allowed', 'Only a trial takes a plan to continue with', {
      field: 'continuation',
    });
  }
  const next = await resolvePlanPrice(
    em,
    pick.tierId,
    pick.billingCycle,
    'continuation.tierId',
    trial.currency,
  );
  // A trial converts one unit: a plan priced per seat is bought at checkout instead.
  const seatProblem = seatPlanChangeProblem(null, seatTermsOf(next.plan), 1);
  if (seatProblem)
    throw new AppError('invalid', seatProblem.code, seatProblem.message, { field: 'continuation.tierId' });
  if (!isValidContinuation(next.plan.code, next.amountCents)) {
    throw new AppError('invalid', 'invalid_continuation', 'A trial continues with a paid plan', {
      field: 'continuation.tierId',
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
