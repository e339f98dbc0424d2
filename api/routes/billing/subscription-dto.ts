import { billingCycleOf } from '../../../domain/billing-cycle';
import { centsToDollars } from '../../../domain/money';
import type { LiveSubscriptionRow } from '../../../db/customer-reads';

/** The caller's subscription as clients read it: money in dollars beside cents, dates in ISO 8601. */
export function subscriptionDto(sub: LiveSubscriptionRow) {
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
    stripe_subscription_id: sub.stripeSubscriptionId,
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
    billing_cycle: billingCycleOf(p.interval),
    interval: p.interval,
    amount: centsToDollars(p.amountCents),
    amount_cents: p.amountCents,
    effective_at: p.effectiveAt,
  };
}
