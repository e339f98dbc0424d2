import { proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { PaymentMethodSummary } from '../activities/stripe/payment-methods';
import { stripeCallOptions } from './activity-options';

const stripe = proxyActivities<Activities>(stripeCallOptions);

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
