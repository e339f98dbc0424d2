import type { EntityManager } from '@mikro-orm/core';
import { ApplicationFailure } from '@temporalio/activity';
import { Customer, PaymentMethod } from '../../db/entities';
import type { ActivityDeps } from '../deps';
import { clockOf } from '../../domain/clock';
import { upsertPaymentMethod } from '../../db/mirror';
import { stripeCall } from './errors';
import { idempotencyKey } from './idempotency';
import { requireStripe } from './require-stripe';
import { FAILURE } from '../../domain/failure-types';
import { expandableId } from '../../integrations/stripe/expandable-id';
import { LIVE, makeDefaultInStripe, pinnedCard } from './card-defaults';

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
      await makeDefaultInStripe(stripe, stripeCustomerId, pm.id, {
        customer: `pm-default:${stripeCustomerId}:${pm.id}`,
        subscription: (subId) => `sub-default-pm:${subId}:${pm.id}`,
      });
    }
    const row = await upsertPaymentMethod(em, customer, pm, req.makeDefault, clockOf(deps));
    return summaryOf(row);
  }

  /**
   * Makes one of the customer's cards the one that pays. `requestId` is the caller's, one per request:
   * choosing card A, then B, then A again within Stripe's key lifetime must not replay the first answer.
   */
  async function setDefaultPaymentMethod(req: {
    customerId: string;
    paymentMethodId: string;
    requestId: string;
  }): Promise<PaymentMethodSummary> {
    const stripe = requireStripe(deps);
    const em = deps.orm.em.fork();
    const { customer, stripeCustomerId } = await ownCard(em, req);
    const pm = await stripeCall(() => stripe.paymentMethods.retrieve(req.paymentMethodId));
    await makeDefaultInStripe(stripe, stripeCustomerId, pm.id, {
      customer: `pm-default:${req.requestId}:customer`,
      subscription: (subId) => `pm-default:${req.requestId}:${subId}`,
    });
    return summaryOf(await upsertPaymentMethod(em, customer, pm, true, clockOf(deps)));
  }

  /**
   * Removes a card from the customer in Stripe and the mirror. A card a live subscription is charged
   * with is refused here too, in case the mirror had not yet caught up when the use case checked it.
   */
  async function detachPaymentMethod(req: {
    customerId: string;
    paymentMethodId: string;
  }): Promise<{ paymentMethodId: string }> {
    const stripe = requireStripe(deps);
    const em = deps.orm.em.fork();
    const { row, stripeCustomerId } = await ownCard(em, req);
    const subs = await stripeCall(() =>
      stripe.subscriptions.list({ customer: stripeCustomerId, limit: 100 }),
    );
    const paying = subs.data.find(
      (s) => LIVE.has(s.status) && expandableId(s.default_payment_method) === req.paymentMethodId,
    );
    if (paying) {
      throw ApplicationFailure.nonRetryable(
        `card ${req.paymentMethodId} pays subscription ${paying.id}; make another card the default first`,
        FAILURE.invalidRequest,
      );
    }
    // Detaching is final in Stripe, so the card's id alone names the request; a retry after Stripe
    // answered replays that answer.
    await stripeCall(() =>
      stripe.paymentMethods.detach(
        req.paymentMethodId,
        {},
        { idempotencyKey: idempotencyKey(`pm-detach:${req.paymentMethodId}`) },
      ),
    );
    row.detachedAt ??= clockOf(deps).now();
    row.isDefault = false;
    await em.flush();
    return { paymentMethodId: row.stripePaymentMethodId };
  }

  /** Mirrors the customer's payment methods as Stripe has them (those added in Checkout or the portal included). */
  async function syncPaymentMethods(customerId: string): Promise<{ cards: number }> {
    const stripe = requireStripe(deps);
    const em = deps.orm.em.fork();
    const customer = await em.findOne(Customer, customerId);
    if (!customer?.stripeCustomerId) return { cards: 0 };
    const stripeCustomerId = customer.stripeCustomerId;
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
    for (const pm of cards.data)
      await upsertPaymentMethod(em, customer, pm, pm.id === defaultId, clockOf(deps));
    const present = new Set(cards.data.map((pm) => pm.id));
    const rows = await em.find(PaymentMethod, { customer, detachedAt: null });
    for (const row of rows) if (!present.has(row.stripePaymentMethodId)) row.detachedAt = clockOf(deps).now();
    await em.flush();
    return { cards: cards.data.length };
  }

  return { attachPaymentMethod, setDefaultPaymentMethod, detachPaymentMethod, syncPaymentMethods };
}

function summaryOf(row: PaymentMethod): PaymentMethodSummary {
  return {
    paymentMethodId: row.stripePaymentMethodId,
    brand: row.brand ?? null,
    last4: row.last4 ?? null,
    isDefault: row.isDefault,
  };
}

/** The customer's card in the mirror; another customer's card, or one already removed, is not found. */
async function ownCard(em: EntityManager, req: { customerId: string; paymentMethodId: string }) {
  const customer = await em.findOne(Customer, req.customerId);
  const row = await em.findOne(PaymentMethod, { stripePaymentMethodId: req.paymentMethodId });
  if (!customer?.stripeCustomerId || !row || row.customer.id !== customer.id) {
    throw ApplicationFailure.nonRetryable(
      `card ${req.paymentMethodId} is not on customer ${req.customerId}`,
      FAILURE.notFound,
    );
  }
  return { customer, row, stripeCustomerId: customer.stripeCustomerId };
}
