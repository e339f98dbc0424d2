import type { SubscriptionStatus } from '../subscription-status';

interface AccessFacts {
  status: SubscriptionStatus;
  tier: string;
  stripeCustomerId: string | null;
  stripeSubscriptionId: string | null;
  currentPeriodStart: string | null;
  currentPeriodEnd: string | null;
}

/** The user attributes Keycloak holds for the AI gateway's access decisions (names the gateway's access checks read). */
export function keycloakAttributes(f: AccessFacts) {
  return {
    subscription_tier: f.tier,
    subscription_status: f.status,
    stripe_customer_id: f.stripeCustomerId,
    stripe_subscription_id: f.stripeSubscriptionId,
    subscription_start_date: f.currentPeriodStart,
    subscription_end_date: f.currentPeriodEnd,
  };
}

/**
 * What Keycloak and Lago are told, as one key: an unchanged key needs no sync. Nothing is synced before
 * Stripe has the subscription (null).
 */
export function outsideSyncKey(f: Pick<AccessFacts, 'status' | 'tier' | 'currentPeriodEnd'>): string | null {
  if (f.status === 'incomplete') return null;
  return [f.status, f.tier, f.currentPeriodEnd].join('|');
}

/**
 * What Lago is told (the customer's plan code and status), as one key: Lago bills by the plan and knows
 * nothing of Stripe's periods, so a renewal alone (a new period end) needs no Lago sync. Null before Stripe
 * has the subscription.
 */
export function lagoSyncKey(f: Pick<AccessFacts, 'status' | 'tier'>): string | null {
  if (f.status === 'incomplete') return null;
  return [f.status, f.tier].join('|');
}
