import { isFinal } from '../subscription-status';
import type { SubscriptionFacts } from './facts';

/**
 * Which customer and admin requests a subscription takes in its current state. Each function answers
 * why a request is refused, or null when it may go ahead; the workflow's Update validators throw that.
 */

type Facts = Pick<
  SubscriptionFacts,
  'status' | 'stripeSubscriptionId' | 'tier' | 'interval' | 'priceId' | 'currentPeriodEnd' | 'pendingChange'
>;

export interface RequestedChange {
  planCode: string;
  interval: 'month' | 'year';
  priceId: string;
  when: 'now' | 'period_end';
}

/** Checkout only starts a subscription that Stripe does not know yet. */
export function checkoutRefusal(f: Pick<Facts, 'status' | 'stripeSubscriptionId'>): string | null {
  if (f.status !== 'incomplete' || f.stripeSubscriptionId) {
    return `subscription is ${f.status}; checkout is only for a new subscription`;
  }
  return null;
}

/** Changes, cancellations and pauses need a subscription Stripe has and that has not ended. */
export function liveRefusal(f: Pick<Facts, 'status' | 'stripeSubscriptionId'>): string | null {
  if (!f.stripeSubscriptionId || isFinal(f.status) || f.status === 'incomplete') {
    return `subscription is ${f.status}`;
  }
  return null;
}

/** Same plan and cycle as now: only the price differs (a new plan version, an admin's migration). */
export function isMigration(
  f: Pick<Facts, 'tier' | 'interval'>,
  c: { planCode: string; interval: 'month' | 'year' },
): boolean {
  return c.planCode === f.tier && c.interval === f.interval;
}

export function planChangeRefusal(f: Facts, req: RequestedChange): string | null {
  const notLive = liveRefusal(f);
  if (notLive) return notLive;
  // Same plan and cycle is a no-op, unless it is a newer version's price (an admin's migration).
  const samePrice = f.priceId ? req.priceId === f.priceId : true;
  if (req.planCode === f.tier && req.interval === f.interval && samePrice) {
    return `already on ${req.planCode} (${req.interval})`;
  }
  if (req.when === 'period_end' && !f.currentPeriodEnd) return 'the subscription has no period yet';
  const pending = f.pendingChange;
  if (req.when === 'period_end' && isMigration(f, req) && pending && !isMigration(f, pending)) {
    return (
      `a change to ${pending.planCode} (${pending.interval}) is pending for ${pending.effectiveAt}; ` +
      'it replaces this plan then, so there is nothing to migrate'
    );
  }
  return null;
}

/**
 * An immediate migration to a new version of the same plan is not the customer's choice, so their
 * pending change still applies at period end; any other immediate change replaces it.
 */
export function pendingAfterImmediateChange<P extends { planCode: string; interval: 'month' | 'year' }>(
  f: Pick<Facts, 'tier' | 'interval'> & { pendingChange: P | null },
  req: { planCode: string; interval: 'month' | 'year' },
): P | null {
  return isMigration(f, req) ? f.pendingChange : null;
}

export function resumeRefusal(
  f: Pick<SubscriptionFacts, 'status' | 'stripeSubscriptionId' | 'cancelAtPeriodEnd'>,
): string | null {
  return liveRefusal(f) ?? (f.cancelAtPeriodEnd ? null : 'no cancellation is pending');
}

export function pauseRefusal(
  f: Pick<SubscriptionFacts, 'status' | 'stripeSubscriptionId'>,
  paused: boolean,
): string | null {
  const notLive = liveRefusal(f);
  if (notLive) return notLive;
  if (paused === (f.status === 'paused')) return paused ? 'already paused' : 'not paused';
  return null;
}

/** Withdrawing a plan change scheduled for period end: the customer keeps the plan they have. */
export function pendingChangeCancelRefusal(
  f: Pick<SubscriptionFacts, 'status' | 'stripeSubscriptionId' | 'pendingChange'>,
): string | null {
  return liveRefusal(f) ?? (f.pendingChange ? null : 'no plan change is scheduled');
}

/** A subscriber pauses their own plan only when the plan allows it; unpausing is always theirs to do. */
export function customerPauseRefusal(
  plan: { code: string; pausable: boolean },
  paused: boolean,
): string | null {
  if (paused && !plan.pausable) return `the ${plan.code} plan cannot be paused; cancel it instead`;
  return null;
}
