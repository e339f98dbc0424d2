import type Stripe from 'stripe';
import type { EntityManager } from '@mikro-orm/core';
import { ApplicationFailure } from '@temporalio/activity';
import { Customer, PaymentMethod } from '../../db/entities';
import type { ActivityDeps } from '../deps';
import { clockOf } from '../../domain/clock';
import { markCardRemoved, upsertPaymentMethod } from '../../db/mirror';
import { stripeCall } from './errors';
import { idempotencyKey } from './idempotency';
import { requireStripe } from './require-stripe';
import { FAILURE } from '../../domain/failure-types';
import { expandableId } from '../../integrations/stripe/expandable-id';
import { LIVE, makeDefaultInStripe } from './card-defaults';
import { readCardsIntoMirror } from './card-reads';

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
    const row = await upsertPaymentMethod(em, customer, pm, false, clockOf(deps));
    if (!req.makeDefault) return summaryOf(row);
    await makeDefaultInStripe(stripe, stripeCustomerId, pm.id, {
      customer: `pm-default:${stripeCustomerId}:${pm.id}`,
      subscription: (subId) => `sub-default-pm:${subId}:${pm.id}`,
    });
    return cardAsMirrored(em, req.customerId, stripeCustomerId, pm);
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
    return cardAsMirrored(em, customer.id, stripeCustomerId, pm);
  }

  /**
   * The card as the mirror has it once Stripe's cards are read back into it. Not the choice just made
   * written as such: a retry whose Stripe calls replayed their first answers, or two choices made at once,
   * would write a card that no longer pays; what Stripe says now is written instead.
   */
  async function cardAsMirrored(
    em: EntityManager,
    customerId: string,
    stripeCustomerId: string,
    pm: Stripe.PaymentMethod,
  ): Promise<PaymentMethodSummary> {
    await readCardsIntoMirror(deps, em, customerId, stripeCustomerId);
    const row = await em.fork().findOne(PaymentMethod, { stripePaymentMethodId: pm.id, detachedAt: null });
    // Not among the customer's cards in Stripe any more (removed meanwhile): it pays nothing.
    if (!row)
      return {
        paymentMethodId: pm.id,
        brand: pm.card?.brand ?? null,
        last4: pm.card?.last4 ?? null,
        isDefault: false,
      };
    return summaryOf(row);
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
    await markCardRemoved(em, req.customerId, row.stripePaymentMethodId, clockOf(deps));
    return { paymentMethodId: row.stripePaymentMethodId };
  }

  /**
   * Mirrors the customer's payment methods as Stripe has them (those added in Checkout or the portal
   * included). A read that a card made default meanwhile may predate is read again (`mirrorCustomerCards`).
   */
  async function syncPaymentMethods(customerId: string): Promise<{ cards: number }> {
    const em = deps.orm.em.fork();
    const customer = await em.findOne(Customer, customerId, { fields: ['stripeCustomerId'] });
    if (!customer?.stripeCustomerId) return { cards: 0 };
    return { cards: await readCardsIntoMirror(deps, em, customerId, customer.stripeCustomerId) };
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
