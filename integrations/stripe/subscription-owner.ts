/**
 * The engine's id of a subscription made outside it (Stripe's dashboard, its portal): a stable id derived
 * from Stripe's, so every later event, and the mirror, find the same run and row.
 */
export function subscriptionIdOfForeign(stripeSubscriptionId: string): string {
  return `subs_stripe_${stripeSubscriptionId.replace(/^sub_/, '')}`;
}
