import { grantsAccess, isFinal, type SubscriptionStatus } from './subscription-status';

/** A subscription as its public events compare it before and after a change. */
export interface SubscriptionState {
  status: SubscriptionStatus;
  tier: string;
}

export type SubscriptionEventType = 'subscription.created' | 'subscription.updated' | 'subscription.canceled';

/**
 * Which outgoing events a change of a subscription's mirror makes. A checkout that never completed is
 * nobody's business: `created` is the first step out of `incomplete` into a live state, and an incomplete
 * one that expires makes no event. Reaching a final state is `canceled`; any other change is `updated`.
 * `accessChanged` when the customer gains or loses access, or keeps it under another plan's services.
 */
export function subscriptionEvents(
  before: SubscriptionState,
  after: SubscriptionState,
): { subscription: SubscriptionEventType | null; accessChanged: boolean } {
  const accessChanged =
    grantsAccess(before.status) !== grantsAccess(after.status) ||
    (grantsAccess(after.status) && before.tier !== after.tier);
  if (before.status === 'incomplete')
    return {
      subscription: after.status === 'incomplete' || isFinal(after.status) ? null : 'subscription.created',
      accessChanged,
    };
  if (isFinal(after.status) && !isFinal(before.status))
    return { subscription: 'subscription.canceled', accessChanged };
  return { subscription: 'subscription.updated', accessChanged };
}
