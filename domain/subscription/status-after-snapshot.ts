import { fromStripeStatus, type SubscriptionStatus } from '../subscription-status';
import type { SubscriptionFacts } from './facts';

/**
 * Our status once Stripe's view of the subscription is applied. Dunning's suspension holds until the
 * invoice is paid, whatever Stripe says meanwhile; only a cancellation ends it.
 */
export function statusAfterSnapshot(
  facts: Pick<SubscriptionFacts, 'status' | 'dunningInvoices'>,
  snap: { status: string; pausedCollection: boolean },
): SubscriptionStatus {
  if (facts.status === 'suspended' && facts.dunningInvoices.length > 0 && snap.status !== 'canceled') {
    return 'suspended';
  }
  return fromStripeStatus(snap.status, facts.status, snap.pausedCollection);
}

/** A paid invoice lifts dunning's suspension to past due; Stripe's next snapshot says the rest. */
export function statusAfterInvoicePaid(status: SubscriptionStatus): SubscriptionStatus {
  return status === 'suspended' ? 'past_due' : status;
}
