import type { EntityManager } from '@mikro-orm/core';
import type Stripe from 'stripe';
import { recordBillingEvent } from '../../db/billing-events';
import { addGrant } from '../../db/credit-ledger';
import { Customer } from '../../db/entities';
import { sqlFor } from '../../db/raw-sql';
import { purchasedExpiry } from '../../domain/credit-purchase';
import { clockOf, systemClock, type Clock } from '../../domain/clock';
import type { ActivityDeps } from '../deps';
import type { NotificationInput } from '../notify/outbox';
import { stripeCall } from '../stripe/errors';
import { requireStripe } from '../stripe/require-stripe';
import { purchaseOf } from '../../integrations/stripe/credit-purchase-metadata';
import { voidRefundedCredits } from './refunds';

/** What a paid Checkout session granted. */
export interface PurchaseGrant {
  granted: boolean;
  /** Why nothing was granted (not paid yet, not a credit purchase). */
  reason: string | null;
  grantId: string | null;
  credits: number;
  /** The mail to queue when this run made the grant. */
  notice: NotificationInput | null;
}

/** A grant bought with money, and its event for the outgoing webhooks, in one transaction. */
export async function grantBought(
  em: EntityManager,
  g: {
    customerId: string;
    credits: number;
    packId: string;
    expiresAfterDays: number | null;
    sourceKey: string;
    paymentIntentId: string | null;
    reason: string;
  },
  now: Date,
) {
  return em.transactional(async (tem) => {
    const sql = sqlFor(tem);
    const made = await addGrant(sql, {
      customerId: g.customerId,
      amount: g.credits,
      source: 'purchase',
      effectiveAt: now,
      expiresAt: purchasedExpiry(now, g.expiresAfterDays),
      sourceKey: g.sourceKey,
      packId: g.packId,
      stripeObjectId: g.paymentIntentId,
      reason: g.reason,
    });
    if (made.created) {
      await recordBillingEvent(sql, {
        customerId: g.customerId,
        type: 'credits.purchased',
        payload: {
          grant_id: made.grant.id,
          credits: g.credits,
          pack_id: g.packId,
          expires_at: made.grant.expiresAt?.toISOString() ?? null,
          payment_intent_id: g.paymentIntentId,
        },
        dedupeKey: `credits.purchased:${made.grant.id}`,
        at: now,
      });
    }
    return made;
  });
}

/** Granting what a credit pack bought through Checkout. */
export function createPurchaseActivities(deps: ActivityDeps) {
  /**
   * Grants what a paid credit-pack session bought, once per session (`checkout:<session>`). The session is
   * read again from Stripe: the event only says something happened, and only Stripe says it is paid.
   */
  async function grantPurchasedCredits(checkoutSessionId: string): Promise<PurchaseGrant> {
    const stripe = requireStripe(deps);
    const session = await stripeCall(() => stripe.checkout.sessions.retrieve(checkoutSessionId));
    const none = (reason: string): PurchaseGrant => ({
      granted: false,
      reason,
      grantId: null,
      credits: 0,
      notice: null,
    });
    const bought = session.mode === 'payment' ? purchaseOf(session.metadata) : null;
    if (!bought) return none('not a credit purchase');
    if (session.payment_status !== 'paid') return none(`payment ${session.payment_status}`);
    const em = deps.orm.em.fork();
    const customer = await em.findOne(Customer, { id: bought.customerId });
    const stripeCustomer = typeof session.customer === 'string' ? session.customer : session.customer?.id;
    // Metadata is ours, but a session paid by another Stripe customer must not credit this one.
    if (!customer || customer.stripeCustomerId !== stripeCustomer) return none('customer does not match');
    const paymentIntentId =
      typeof session.payment_intent === 'string'
        ? session.payment_intent
        : (session.payment_intent?.id ?? null);
    const made = await grantBought(
      em,
      {
        customerId: customer.id,
        credits: bought.credits,
        packId: bought.packId,
        expiresAfterDays: bought.expiresAfterDays,
        sourceKey: `checkout:${session.id}`,
        paymentIntentId,
        reason: `Bought: ${bought.name}`,
      },
      clockOf(deps).now(),
    );
    // A refund mirrored before this grant existed voided nothing: what it takes back is voided now.
    if (paymentIntentId) await voidRefundedSoFar(stripe, em, paymentIntentId, clockOf(deps));
    return {
      granted: true,
      reason: null,
      grantId: made.grant.id,
      credits: made.grant.amount,
      notice: {
        customerId: customer.id,
        email: customer.email,
        kind: 'credits_purchased',
        dedupeKey: `credits_purchased:${made.grant.id}`,
        payload: { credits: made.grant.amount, expiresAt: made.grant.expiresAt?.toISOString() ?? null },
      },
    };
  }

  return { grantPurchasedCredits };
}

/**
 * Voids what the refunds of a payment intent's charge take back so far (none: nothing to do), dated by
 * `clock` (the system's unless given).
 */
export async function voidRefundedSoFar(
  stripe: Stripe,
  em: EntityManager,
  paymentIntentId: string,
  clock: Clock = systemClock,
): Promise<void> {
  const intent = await stripeCall(() =>
    stripe.paymentIntents.retrieve(paymentIntentId, { expand: ['latest_charge'] }),
  );
  const charge = typeof intent.latest_charge === 'object' ? intent.latest_charge : null;
  if (!charge || charge.amount_refunded <= 0) return;
  await voidRefundedCredits(
    em,
    {
      paymentIntentId,
      amountCents: charge.amount,
      amountRefundedCents: charge.amount_refunded,
    },
    clock,
  );
}
