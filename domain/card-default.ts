import { isFinal, type SubscriptionStatus } from './subscription-status';

/**
 * Which card the mirror shows as the one that pays. Stripe's answer is the customer's invoice default, else
 * the card a live subscription is charged with (what `syncPaymentMethods` reads). A first card written from
 * its event's payload cannot know either, so it starts as not default; when a subscription comes to life
 * charging it, that is the card that pays, unless the customer already has a default (one they chose, or
 * one Stripe's customer names), which a subscription's card does not override.
 */
export interface LiveCard {
  stripePaymentMethodId: string;
  isDefault: boolean;
}

/** The card to mark default as a subscription comes to life charging `charged`, or null to leave them be. */
export function chargedCardToMarkDefault(cards: readonly LiveCard[], charged: string): string | null {
  if (cards.some((c) => c.isDefault)) return null;
  return cards.some((c) => c.stripePaymentMethodId === charged) ? charged : null;
}

/**
 * Whether a subscription's change of status marks the card it is charged with: a change to a status that is
 * not final (the subscription coming to life, or moving between its live statuses). The card is then decided
 * by `chargedCardToMarkDefault`; a status that stays, or one that ends the subscription, marks nothing.
 */
export function statusChangeMarksCard(before: SubscriptionStatus, after: SubscriptionStatus): boolean {
  return before !== after && !isFinal(after);
}
