import { ApplicationFailure } from '@temporalio/activity';
import { Customer } from '../../db/entities';
import type { ActivityDeps } from '../deps';
import { upsertPaymentMethod } from '../db/mirror';
import { stripeCall } from './errors';
import { requireStripe } from './require-stripe';

export interface PaymentMethodSummary {
  paymentMethodId: string;
  brand: string | null;
  last4: string | null;
  isDefault: boolean;
}

/** Attaching a card (a declined card fails here with type CardDeclined) and making it the default. */
export function stripePaymentMethodActivities(deps: ActivityDeps) {
  async function attachPaymentMethod(req: {
    customerId: string;
    paymentMethodId: string;
    makeDefault: boolean;
  }): Promise<PaymentMethodSummary> {
    const stripe = requireStripe(deps);
    const em = deps.orm.em.fork();
    const customer = await em.findOne(Customer, req.customerId);
    if (!customer?.stripeCustomerId) {
      throw ApplicationFailure.nonRetryable(`customer ${req.customerId} has no Stripe customer`, 'NotFound');
    }
    const stripeCustomerId = customer.stripeCustomerId;
    // Attaching is naturally idempotent: attaching an attached card to the same customer is a no-op.
    const existing = await stripeCall(() => stripe.paymentMethods.retrieve(req.paymentMethodId));
    const pm =
      existing.customer === stripeCustomerId
        ? existing
        : await stripeCall(() =>
            stripe.paymentMethods.attach(req.paymentMethodId, { customer: stripeCustomerId }),
          );
    if (req.makeDefault) {
      await stripeCall(() =>
        stripe.customers.update(stripeCustomerId, { invoice_settings: { default_payment_method: pm.id } }),
      );
    }
    const row = await upsertPaymentMethod(em, customer, pm, req.makeDefault);
    return {
      paymentMethodId: pm.id,
      brand: row.brand ?? null,
      last4: row.last4 ?? null,
      isDefault: row.isDefault,
    };
  }

  return { attachPaymentMethod };
}
