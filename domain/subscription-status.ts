/** The engine's subscription states; the workflow `subscription-<id>` moves between them. */
export const SUBSCRIPTION_STATUSES = [
  'incomplete',
  'trialing',
  'active',
  'past_due',
  'suspended',
  'paused',
  'canceled',
  'expired',
] as const;
export type SubscriptionStatus = (typeof SUBSCRIPTION_STATUSES)[number];

/** States nothing leaves: the workflow ends when it reaches one. A subscription in any other is live. */
export const FINAL_STATUSES: readonly SubscriptionStatus[] = ['canceled', 'expired'];

/** States in which the customer may use the plan's services. */
export const ACCESS_GRANTING: readonly SubscriptionStatus[] = ['trialing', 'active', 'past_due'];

export function grantsAccess(status: SubscriptionStatus): boolean {
  return ACCESS_GRANTING.includes(status);
}

export function isFinal(status: SubscriptionStatus): boolean {
  return FINAL_STATUSES.includes(status);
}

/**
 * Stripe's subscription status, as our state. Our own `suspended` (dunning past its grace period) is not
 * Stripe's to lift: only a paid invoice does, so a `past_due` from Stripe keeps it.
 */
export function fromStripeStatus(
  stripe: string,
  current: SubscriptionStatus,
  pausedCollection: boolean,
): SubscriptionStatus {
  if (pausedCollection && (stripe === 'active' || stripe === 'trialing')) return 'paused';
  switch (stripe) {
    case 'trialing':
      return 'trialing';
    case 'active':
      return 'active';
    case 'past_due':
      return current === 'suspended' ? 'suspended' : 'past_due';
    case 'unpaid':
      return 'suspended';
    case 'paused':
      return 'paused';
    case 'canceled':
      return current === 'expired' ? 'expired' : 'canceled';
    case 'incomplete_expired':
      return 'expired';
    default:
      return 'incomplete';
  }
}

/** Paying states: what MRR counts (trials, pauses and suspensions do not pay). */
export const PAYING_STATUSES: readonly SubscriptionStatus[] = ['active', 'past_due'];

export function countsTowardMrr(status: SubscriptionStatus): boolean {
  return PAYING_STATUSES.includes(status);
}
