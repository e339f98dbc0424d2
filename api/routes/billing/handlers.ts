import type { PendingChange } from '../../../workflows/messages';
import type { HandlerInput } from '../../routing/define-route';
import { returnUrl } from '../../validation/return-url';
import {
  attachPaymentMethod as attachCard,
  listPaymentMethods as listCards,
  openBillingPortal,
} from '../../../services/payment-methods/payment-methods';
import { removeCard, setDefaultCard, startCardSetup } from '../../../services/payment-methods/manage-cards';
import type { PaymentMethodRow } from '../../../db/payment-method-reads';
import { cancelSubscription, resumeSubscription } from '../../../services/subscriptions/cancel-subscription';
import { changePlan, previewPlanChange } from '../../../services/subscriptions/change-plan';
import { pauseOwnSubscription } from '../../../services/subscriptions/pause-own-subscription';
import { startCheckout } from '../../../services/subscriptions/start-checkout';
import { withdrawPendingChange } from '../../../services/subscriptions/withdraw-pending-change';
import { ownSubscriptionView } from '../../../services/subscriptions/live-subscription';
import { planChangePreviewDto } from '../plan-change-preview-dto';
import { pendingChangeDto, subscriptionDto } from './subscription-dto';
import type {
  attachPaymentMethodBody,
  cardSetupBody,
  paymentMethodParams,
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

export async function createCheckout(input: In<typeof checkoutBody>) {
  const { deps, identity, body } = input;
  const session = await startCheckout(deps, identity, {
    tierId: body.tier_id,
    billingCycle: body.billing_cycle,
    continuation: body.continuation
      ? { tierId: body.continuation.tier_id, billingCycle: body.continuation.billing_cycle }
      : null,
    successUrl: returnUrl(
      input,
      'success_url',
      body.success_url,
      '/billing/success?session_id={CHECKOUT_SESSION_ID}',
    ),
    cancelUrl: returnUrl(input, 'cancel_url', body.cancel_url, '/billing/canceled'),
    promotionCode: body.promotion_code ?? null,
    currency: body.currency ?? null,
    billingAnchor: body.billing_anchor ?? null,
    seats: body.seats ?? null,
  });
  return {
    checkout_url: session.checkoutUrl,
    session_id: session.sessionId,
    subscription_id: session.subscriptionId,
  };
}

export async function createPortal(input: In<typeof portalBody>) {
  const back = returnUrl(input, 'return_url', input.body.return_url, '/billing');
  const session = await openBillingPortal(input.deps, input.identity, back);
  return { portal_url: session.url };
}

export async function getSubscription({ deps, identity }: In) {
  const sub = await ownSubscriptionView(deps, identity);
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

export async function getSubscriptionStatus({ deps, identity }: In) {
  const sub = await ownSubscriptionView(deps, identity);
  if (!sub) return { has_subscription: false, tier: null, status: 'none' };
  return { has_subscription: true, ...subscriptionDto(sub) };
}

/** Plan change through the subscription workflow's Update, or only its proration preview. */
export async function upgradeSubscription({ deps, identity, body }: In<typeof upgradeBody>) {
  const ask = {
    tierId: body.new_tier_id,
    billingCycle: body.billing_cycle,
    when: body.when,
    promotionCode: body.promotion_code ?? null,
  };
  if (body.preview) {
    return planChangePreviewDto(await previewPlanChange(deps, identity, ask));
  }
  const result = await changePlan(deps, identity, ask);
  return {
    success: true,
    status: result.status,
    new_tier: result.tier,
    effective_at: result.effectiveAt,
    // A change waiting for period end that this one replaced (an upgrade, or another change).
    replaced_pending_change: pendingOf(result.replacedPendingChange),
  };
}

export async function cancel({ deps, identity, body }: In<typeof cancelBody>) {
  const view = await cancelSubscription(deps, identity, {
    atPeriodEnd: body.at_period_end,
    subscriptionRef: body.subscription_id,
  });
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

export async function withdrawPending({ deps, identity }: In<typeof emptyBody>) {
  const { withdrawn, view } = await withdrawPendingChange(deps, identity);
  return {
    success: true,
    status: view.status,
    tier: view.tier,
    canceled_pending_change: pendingOf(withdrawn),
  };
}

export async function pause({ deps, identity }: In<typeof emptyBody>) {
  const view = await pauseOwnSubscription(deps, identity, true);
  return { success: true, status: view.status, tier: view.tier };
}

export async function unpause({ deps, identity }: In<typeof emptyBody>) {
  const view = await pauseOwnSubscription(deps, identity, false);
  return { success: true, status: view.status, tier: view.tier };
}

export async function resume({ deps, identity }: In<typeof emptyBody>) {
  const view = await resumeSubscription(deps, identity);
  return {
    success: true,
    status: view.status,
    cancel_at_period_end: view.cancelAtPeriodEnd,
    pending_change: pendingOf(view.pendingChange),
  };
}

/** A card as the answers show it, from a mirror row (read by SQL or by the ORM). */
function paymentMethodDto(pm: PaymentMethodRow) {
  return {
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
  };
}

export async function listPaymentMethods({ deps, identity }: In) {
  const rows = await listCards(deps, identity);
  return rows.map(paymentMethodDto);
}

type CardIn = HandlerInput<typeof paymentMethodParams, undefined, undefined, 'viewer'>;

export async function makeDefaultPaymentMethod({ deps, identity, params }: CardIn) {
  const card = await setDefaultCard(deps, identity, params.id);
  return {
    success: true,
    payment_method: paymentMethodDto({
      ...card,
      brand: card.brand ?? null,
      last4: card.last4 ?? null,
      expMonth: card.expMonth ?? null,
      expYear: card.expYear ?? null,
    }),
  };
}

export async function removePaymentMethod({ deps, identity, params }: CardIn) {
  const removed = await removeCard(deps, identity, params.id);
  return { success: true, payment_method_id: removed.paymentMethodId, deleted: true };
}

export async function createCardSetup(input: In<typeof cardSetupBody>) {
  const { deps, identity, body } = input;
  const session = await startCardSetup(deps, identity, {
    successUrl: returnUrl(
      input,
      'success_url',
      body.success_url,
      '/billing/payment-methods?card_setup={CHECKOUT_SESSION_ID}',
    ),
    cancelUrl: returnUrl(
      input,
      'cancel_url',
      body.cancel_url,
      '/billing/payment-methods?card_setup=canceled',
    ),
  });
  return { checkout_url: session.checkoutUrl, session_id: session.sessionId };
}

export async function attachPaymentMethod({ deps, identity, body }: In<typeof attachPaymentMethodBody>) {
  const pm = await attachCard(deps, identity, {
    paymentMethodId: body.payment_method_id,
    makeDefault: body.make_default,
  });
  return {
    success: true,
    payment_method_id: pm.paymentMethodId,
    card: { brand: pm.brand, last4: pm.last4 },
    is_default: pm.isDefault,
  };
}
