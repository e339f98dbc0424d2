import { proxyActivities, proxyLocalActivities } from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { PaymentMethodSummary } from '../activities/stripe/payment-methods';
import { stripeCallOptions, stripeReadLocalOptions } from './activity-options';

const stripe = proxyActivities<Activities>(stripeCallOptions);
const stripeLocal = proxyLocalActivities<Activities>(stripeReadLocalOptions);

/** Attaches a card to the customer's Stripe customer (id `payment-method-<pm>`); a decline fails it. */
export async function attachPaymentMethodWorkflow(req: {
  customerId: string;
  paymentMethodId: string;
  makeDefault: boolean;
}): Promise<PaymentMethodSummary> {
  await stripe.ensureStripeCustomer(req.customerId);
  return stripe.attachPaymentMethod(req);
}

/** A billing portal link for the customer. */
export async function portalSessionWorkflow(req: {
  customerId: string;
  returnUrl: string;
}): Promise<{ url: string }> {
  const stripeCustomerId = await stripe.ensureStripeCustomer(req.customerId);
  return stripe.createPortalSession({ stripeCustomerId, returnUrl: req.returnUrl });
}

/** Makes one of the customer's cards the one that pays (id `payment-method-default-<pm>-<request>`). */
export async function setDefaultPaymentMethodWorkflow(req: {
  customerId: string;
  paymentMethodId: string;
  requestId: string;
}): Promise<PaymentMethodSummary> {
  return stripe.setDefaultPaymentMethod(req);
}

/** Removes a card from the customer (id `payment-method-detach-<pm>`: a card is removed once). */
export async function detachPaymentMethodWorkflow(req: {
  customerId: string;
  paymentMethodId: string;
}): Promise<{ paymentMethodId: string }> {
  return stripe.detachPaymentMethod(req);
}

/** A Checkout page in setup mode where the customer adds a card. */
export async function cardSetupSessionWorkflow(req: {
  customerId: string;
  currency: string;
  successUrl: string;
  cancelUrl: string;
}): Promise<{ sessionId: string; url: string }> {
  const stripeCustomerId = await stripe.ensureStripeCustomer(req.customerId);
  return stripe.createCardSetupSession({
    stripeCustomerId,
    currency: req.currency,
    successUrl: req.successUrl,
    cancelUrl: req.cancelUrl,
  });
}

/**
 * Re-reads a customer's cards into the mirror when a card event has no live subscription to go to (a
 * card added by a customer whose plan has ended, or at a sign-up, before Stripe's subscription has its
 * run); id `payment-methods-sync-<event id>`. The read is a local activity: the run is one workflow task,
 * where an activity task made it two and a round trip through the server.
 */
export async function readCardsWorkflow(customerId: string): Promise<{ cards: number }> {
  return stripeLocal.syncPaymentMethods(customerId);
}

/** The type of the card runs started before readCardsWorkflow, kept for those still open and for replay. */
export async function syncPaymentMethodsWorkflow(customerId: string): Promise<{ cards: number }> {
  return stripe.syncPaymentMethods(customerId);
}
