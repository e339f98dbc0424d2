import { ApplicationFailure } from '@temporalio/activity';
import { Customer, PaymentMethod } from '../../db/entities';
import type { ActivityDeps } from '../deps';
import { upsertPaymentMethod } from '../db/mirror';
import { stripeCall } from './errors';
import { idempotencyKey } from './idempotency';
import { requireStripe } from './require-stripe';
import { FAILURE } from '../../domain/failure-types';

export interface PaymentMethodSummary {
  paymentMethodId: string;
  brand: string | null;
  last4: string | null;
  isDefault: boolean;
}

/** Attaching a card (a declined card fails here with type CardDeclined) and making it the default. */
export function createStripePaymentMethodActivities(deps: ActivityDeps) {
  async function attachPaymentMethod(req: {
    customerId: string;
    paymentMethodId: string;
    makeDefault: boolean;
  }): Promise<PaymentMethodSummary> {
    const stripe = requireStripe(deps);
    const em = deps.orm.em.fork();
    const customer = await em.findOne(Customer, req.customerId);
    if (!customer?.stripeCustomerId) {
      throw ApplicationFailure.nonRetryable(
        `customer ${req.customerId} has no Stripe customer`,
        FAILURE.notFound,
      );
    }
    const stripeCustomerId = customer.stripeCustomerId;
    // The key names this card and customer, so a retried attach replays Stripe's first answer.
    const pm = await stripeCall(() =>
      stripe.paymentMethods.attach(
        req.paymentMethodId,
        { customer: stripeCustomerId },
        { idempotencyKey: idempotencyKey(`pm-attach:${req.paymentMethodId}:${stripeCustomerId}`) },
      ),
    );
    if (req.makeDefault) {
      await stripeCall(() =>
        stripe.customers.update(
          stripeCustomerId,
          { invoice_settings: { default_payment_method: pm.id } },
          { idempotencyKey: idempotencyKey(`pm-default:${stripeCustomerId}:${pm.id}`) },
        ),
      );
      // Checkout pins its card on the subscription, which Stripe prefers over the customer's default:
      // the new default card must reach the live subscriptions too, or the old card keeps being charged.
      const subs = await stripeCall(() =>
        stripe.subscriptions.list({ customer: stripeCustomerId, limit: 100 }),
      );
      for (const sub of subs.data) {
        const current =
          typeof sub.default_payment_method === 'string'
            ? sub.default_payment_method
            : sub.default_payment_method?.id;
        if (sub.status === 'canceled' || sub.status === 'incomplete_expired' || current === pm.id) continue;
        await stripeCall(() =>
          stripe.subscriptions.update(
            sub.id,
            { default_payment_method: pm.id },
            { idempotencyKey: idempotencyKey(`sub-default-pm:${sub.id}:${pm.id}`) },
          ),
        );
      }
    }
    const row = await upsertPaymentMethod(em, customer, pm, req.makeDefault);
    return {
      paymentMethodId: pm.id,
      brand: row.brand ?? null,
      last4: row.last4 ?? null,
      isDefault: row.isDefault,
    };
  }

  /** Mirrors the customer's cards as Stripe has them (cards added in Checkout or the portal included). */
  async function syncPaymentMethods(customerId: string): Promise<{ cards: number }> {
    const stripe = requireStripe(deps);
    const em = deps.orm.em.fork();
    const customer = await em.findOne(Customer, customerId);
    if (!customer?.stripeCustomerId) return { cards: 0 };
    const stripeCustomerId = customer.stripeCustomerId;
    const [stripeCustomer, cards] = await Promise.all([
      stripeCall(() => stripe.customers.retrieve(stripeCustomerId)),
      stripeCall(() => stripe.paymentMethods.list({ customer: stripeCustomerId, type: 'card', limit: 100 })),
    ]);
    const defaultPm =
      'deleted' in stripeCustomer ? null : (stripeCustomer.invoice_settings?.default_payment_method ?? null);
    const defaultId = typeof defaultPm === 'string' ? defaultPm : (defaultPm?.id ?? null);
    for (const pm of cards.data) await upsertPaymentMethod(em, customer, pm, pm.id === defaultId);
    const present = new Set(cards.data.map((pm) => pm.id));
    const rows = await em.find(PaymentMethod, { customer, detachedAt: null });
    for (const row of rows) if (!present.has(row.stripePaymentMethodId)) row.detachedAt = new Date();
    await em.flush();
    return { cards: cards.data.length };
  }

  return { attachPaymentMethod, syncPaymentMethods };
}
