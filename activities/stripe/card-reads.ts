import type { EntityManager } from '@mikro-orm/core';
import { cardsOnFile, mirrorCustomerCards } from '../../db/mirror';
import { sqlFor } from '../../db/raw-sql';
import { clockOf } from '../../domain/clock';
import { expandableId } from '../../integrations/stripe/expandable-id';
import type { ActivityDeps } from '../deps';
import { pinnedCard } from './card-defaults';
import { stripeCall } from './errors';
import { requireStripe } from './require-stripe';

/** Reads of Stripe's cards a sync makes before giving up while the mirror's cards keep changing under it. */
const CARD_READS = 5;

/**
 * Writes the customer's cards as Stripe has them into the mirror; answers how many Stripe has. A read that
 * a card made default meanwhile may predate is read again (`mirrorCustomerCards`).
 */
export async function readCardsIntoMirror(
  deps: ActivityDeps,
  em: EntityManager,
  customerId: string,
  stripeCustomerId: string,
): Promise<number> {
  const stripe = requireStripe(deps);
  for (let attempt = 1; attempt <= CARD_READS; attempt++) {
    const seen = await cardsOnFile(sqlFor(em), customerId);
    const [stripeCustomer, cards] = await Promise.all([
      stripeCall(() => stripe.customers.retrieve(stripeCustomerId)),
      // Every type: a bank debit on file is shown too (and never charged off-session), not marked removed.
      stripeCall(() => stripe.paymentMethods.list({ customer: stripeCustomerId, limit: 100 })),
    ]);
    const defaultPm =
      'deleted' in stripeCustomer ? null : (stripeCustomer.invoice_settings?.default_payment_method ?? null);
    // Checkout pins the card it took on the subscription and leaves the customer's default empty: until the
    // customer picks one, the card their live subscription is charged with is the one shown as default.
    const defaultId = expandableId(defaultPm) ?? (await pinnedCard(stripe, stripeCustomerId));
    const read = { cards: cards.data, defaultId, seen };
    if (await mirrorCustomerCards(em, customerId, read, clockOf(deps))) return cards.data.length;
  }
  // Retried by the activity's policy, by when the customer's cards have settled.
  throw new Error(`the cards of customer ${customerId} kept changing during ${CARD_READS} reads of Stripe`);
}
