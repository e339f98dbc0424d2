import type { EntityManager } from '@mikro-orm/core';
import { ApplicationFailure } from '@temporalio/activity';
import Stripe from 'stripe';
import { recordBillingEvent } from '../../db/billing-events';
import { addGrant, readLedger } from '../../db/credit-ledger';
import { liveSubscriptionOf } from '../../db/customer-reads';
import { packPriceIn } from '../../domain/currency';
import { CreditPack, CreditSettings, CreditTopUp, Customer, PaymentMethod } from '../../db/entities';
import { newId } from '../../db/ids';
import { sqlFor } from '../../db/raw-sql';
import { creditBalance } from '../../domain/credit-ledger';
import { purchasedExpiry, purchaseRefusal, topUpDue } from '../../domain/credit-purchase';
import { chargeableOffSession, otherTopUpInFlight, topUpPaid } from '../../domain/top-up-policy';
import type { ActivityDeps } from '../deps';
import type { NotificationInput } from '../notify/outbox';
import { stripeCall, classifyStripeError } from '../stripe/errors';
import { idempotencyKey } from '../stripe/idempotency';
import { requireStripe } from '../stripe/require-stripe';
import { purchaseOf } from '../../integrations/stripe/credit-purchase-metadata';
import { voidRefundedCredits } from './refunds';
import { priceTopUp, recordTopUpTax } from './top-up-tax';

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

/** How one try of an automatic top-up ended. */
export interface TopUpOutcome {
  /** `pending`: Stripe took the charge but has not been paid yet; nothing is granted (and nothing retried). */
  status: 'charged' | 'declined' | 'skipped' | 'pending';
  reason: string | null;
  grantId: string | null;
  paymentIntentId: string | null;
  notice: NotificationInput | null;
  autoTopUpDisabled?: boolean;
}

/** A grant bought with money, and its event for the outgoing webhooks, in one transaction. */
async function grantBought(
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

async function emailOf(em: EntityManager, customerId: string): Promise<string | null> {
  return (await em.findOne(Customer, { id: customerId }, { fields: ['email'] }))?.email ?? null;
}

/** Buying credits, by Checkout or automatically, and turning automatic top-ups off. */
export function createCreditActivities(deps: ActivityDeps) {
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
      new Date(),
    );
    // A refund mirrored before this grant existed voided nothing: what it takes back is voided now.
    if (paymentIntentId) await voidRefundedSoFar(stripe, em, paymentIntentId);
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

  /**
   * One try at an automatic top-up: if auto top-up is still on and the balance still below the threshold,
   * the customer's card is charged off-session for the pack, with an idempotency key per crossing and try,
   * and the credits granted once per crossing (`topup:<crossing>`). A decline is an outcome, not a
   * failure: the workflow decides what follows.
   */
  async function chargeTopUp(req: {
    customerId: string;
    crossingKey: string;
    attempt: number;
  }): Promise<TopUpOutcome> {
    const stripe = requireStripe(deps);
    const em = deps.orm.em.fork();
    const outcome = (status: TopUpOutcome['status'], reason: string | null): TopUpOutcome => ({
      status,
      reason,
      grantId: null,
      paymentIntentId: null,
      notice: null,
    });
    const sourceKey = `topup:${req.crossingKey}`;
    const settings = await em.findOne(CreditSettings, { customerId: req.customerId });
    const { grants, movements } = await readLedger(sqlFor(em), req.customerId);
    const done = grants.find((g) => g.sourceKey === sourceKey);
    if (done) return { ...outcome('charged', null), grantId: done.id, paymentIntentId: done.stripeObjectId };
    const now = new Date();
    const balance = creditBalance(grants, movements, now);
    const auto = {
      enabled: settings?.autoTopUpEnabled ?? false,
      threshold: settings?.autoTopUpThreshold ?? null,
      packId: settings?.autoTopUpPackId ?? null,
    };
    // A try that was counted may have reached Stripe before a crash: it is made again exactly as it was
    // (same pack, same key), so Stripe answers its first result, whatever the balance is now.
    let record = await em.findOne(CreditTopUp, { crossingKey: req.crossingKey });
    if (!record || record.attempts < req.attempt) {
      if (!topUpDue(auto, balance))
        return outcome('skipped', 'no longer below the threshold, or auto top-up is off');
      const counted = await countTry(em, record, req, auto, balance, now);
      if (!counted) return outcome('skipped', 'another top-up of this customer is being charged');
      record = counted;
    }
    const pack = await em.findOne(CreditPack, { id: record.packId });
    const customer = await em.findOne(Customer, { id: req.customerId });
    // The default card, else the newest: a bank debit on file is never charged off-session.
    const methods = customer
      ? await em.find(
          PaymentMethod,
          { customer: customer.id, detachedAt: null },
          { orderBy: { isDefault: 'desc', createdAt: 'desc' } },
        )
      : [];
    const card = methods.find((m) => chargeableOffSession(m.type)) ?? null;
    const planCode = customer ? ((await liveSubscriptionOf(em, customer.id))?.plan.code ?? null) : null;
    // Charged in the currency the customer pays in, at the pack's price in it.
    const currency = customer?.currency ?? pack?.currency ?? '';
    const priceCents = pack ? packPriceIn(pack, currency) : null;
    const refusal =
      !pack || !pack.active
        ? 'the chosen pack is no longer on sale'
        : purchaseRefusal(pack, planCode)
          ? 'the chosen pack is not sold on your current plan'
          : priceCents === null
            ? `the chosen pack is not sold in ${currency.toUpperCase()}`
            : !card || !customer?.stripeCustomerId
              ? 'no card on file'
              : null;
    if (refusal || !pack || priceCents === null || !card || !customer?.stripeCustomerId) {
      const reason = refusal ?? 'no card on file';
      await markTopUp(em, record, { status: 'declined', error: reason });
      return { ...outcome('declined', reason), notice: declinedNotice(customer, req, reason) };
    }
    const price = await priceTopUp(stripe, deps.stripeTax ?? false, {
      stripeCustomerId: customer.stripeCustomerId,
      priceCents,
      currency,
      packId: pack.id,
    });
    let intent: Stripe.PaymentIntent;
    try {
      intent = await stripe.paymentIntents.create(
        {
          amount: price.amountCents,
          currency,
          customer: customer.stripeCustomerId,
          payment_method: card.stripePaymentMethodId,
          off_session: true,
          confirm: true,
          description: `Automatic top-up: ${pack.name}`,
          metadata: {
            kind: 'credit_top_up',
            customer_id: customer.id,
            credit_pack_id: pack.id,
            crossing: req.crossingKey,
          },
        },
        { idempotencyKey: idempotencyKey(`topup:${req.crossingKey}:${req.attempt}`) },
      );
    } catch (err) {
      if (!(err instanceof Stripe.errors.StripeCardError)) {
        try {
          return classifyStripeError(err);
        } catch (failure) {
          // A refusal no retry mends ends this try, so it no longer holds back the customer's next one.
          if (failure instanceof ApplicationFailure && failure.nonRetryable)
            await markTopUp(em, record, { status: 'failed', error: failure.message });
          throw failure;
        }
      }
      await markTopUp(em, record, {
        status: 'declined',
        error: err.message,
        paymentIntentId: err.payment_intent?.id,
      });
      return {
        ...outcome('declined', err.message),
        paymentIntentId: err.payment_intent?.id ?? null,
        notice: declinedNotice(customer, req, err.message),
      };
    }
    if (!topUpPaid(intent.status)) {
      // Not paid yet (or not at all): no credits on money that may never arrive.
      const reason = `the payment is ${intent.status}, not paid`;
      await markTopUp(em, record, { status: 'failed', error: reason, paymentIntentId: intent.id });
      return { ...outcome('pending', reason), paymentIntentId: intent.id };
    }
    await recordTopUpTax(stripe, price, req.crossingKey);
    const made = await grantBought(
      em,
      {
        customerId: customer.id,
        credits: pack.credits,
        packId: pack.id,
        expiresAfterDays: pack.expiresAfterDays ?? null,
        sourceKey,
        paymentIntentId: intent.id,
        reason: `Automatic top-up: ${pack.name}`,
      },
      now,
    );
    await markTopUp(em, record, { status: 'succeeded', paymentIntentId: intent.id, grantId: made.grant.id });
    return {
      status: 'charged',
      reason: null,
      grantId: made.grant.id,
      paymentIntentId: intent.id,
      notice: {
        customerId: customer.id,
        email: customer.email,
        kind: 'credits_topped_up',
        dedupeKey: `credits_topped_up:${made.grant.id}`,
        // What was charged, in the currency it was charged in, not the pack's base price.
        payload: { credits: made.grant.amount, amountCents: intent.amount, currency: intent.currency },
      },
    };
  }

  /** Turns auto top-up off after a second decline, with the reason shown on the customer's dashboard. */
  async function disableAutoTopUp(req: {
    customerId: string;
    crossingKey: string;
    reason: string;
  }): Promise<{ disabled: boolean; notice: NotificationInput | null }> {
    const em = deps.orm.em.fork();
    const settings = await em.findOne(CreditSettings, { customerId: req.customerId });
    if (!settings) return { disabled: false, notice: null };
    const note = `Automatic top-up was turned off: ${req.reason.slice(0, 300)}`;
    if (settings.autoTopUpEnabled || settings.autoTopUpNote !== note) {
      settings.autoTopUpEnabled = false;
      settings.autoTopUpNote = note;
      await em.flush();
    }
    const email = await emailOf(em, req.customerId);
    return {
      disabled: true,
      notice: email
        ? {
            customerId: req.customerId,
            email,
            kind: 'auto_top_up_disabled',
            dedupeKey: `auto_top_up_disabled:${req.crossingKey}`,
            payload: { reason: req.reason },
          }
        : null,
    };
  }

  return { grantPurchasedCredits, chargeTopUp, disableAutoTopUp };
}

/** Voids what the refunds of a payment intent's charge take back so far (none: nothing to do). */
export async function voidRefundedSoFar(
  stripe: Stripe,
  em: EntityManager,
  paymentIntentId: string,
): Promise<void> {
  const intent = await stripeCall(() =>
    stripe.paymentIntents.retrieve(paymentIntentId, { expand: ['latest_charge'] }),
  );
  const charge = typeof intent.latest_charge === 'object' ? intent.latest_charge : null;
  if (!charge || charge.amount_refunded <= 0) return;
  await voidRefundedCredits(em, {
    paymentIntentId,
    amountCents: charge.amount,
    amountRefundedCents: charge.amount_refunded,
  });
}

function declinedNotice(
  customer: Customer | null,
  req: { customerId: string; crossingKey: string; attempt: number },
  reason: string,
): NotificationInput | null {
  if (!customer) return null;
  return {
    customerId: customer.id,
    email: customer.email,
    kind: 'top_up_declined',
    dedupeKey: `top_up_declined:${req.crossingKey}:${req.attempt}`,
    payload: { reason, attempt: req.attempt },
  };
}

/**
 * The crossing's row (one per crossing key, with the pack chosen at its first try), this try counted; or
 * null when another crossing's top-up of the customer is being charged. The customer's settings row is
 * locked while deciding, so two crossings counted at once cannot both see the other absent.
 */
async function countTry(
  em: EntityManager,
  found: CreditTopUp | null,
  req: { customerId: string; crossingKey: string; attempt: number },
  auto: { threshold: number | null; packId: string | null },
  balance: number,
  now: Date,
): Promise<CreditTopUp | null> {
  return em.transactional(async (tem) => {
    await lockSettings(tem, req.customerId);
    const tries = await tem.find(
      CreditTopUp,
      { customerId: req.customerId, status: 'pending' },
      { fields: ['crossingKey', 'status', 'updatedAt'] },
    );
    if (otherTopUpInFlight(tries, req.crossingKey, now)) return null;
    const row = found ? tem.merge(found) : newTry(tem, req, auto, balance, now);
    row.attempts = req.attempt;
    row.status = 'pending';
    row.updatedAt = now;
    await tem.flush();
    return row;
  });
}

/** Holds the customer's settings row for the rest of the transaction (PostgreSQL; SQLite has one writer). */
async function lockSettings(em: EntityManager, customerId: string): Promise<void> {
  const sql = sqlFor(em);
  if (sql.dialect === 'postgresql')
    await sql.run('select customer_id from credit_settings where customer_id = ? for update', [customerId]);
}

function newTry(
  em: EntityManager,
  req: { customerId: string; crossingKey: string },
  auto: { threshold: number | null; packId: string | null },
  balance: number,
  now: Date,
): CreditTopUp {
  return em.create(CreditTopUp, {
    id: newId('ctu'),
    customerId: req.customerId,
    crossingKey: req.crossingKey,
    packId: auto.packId ?? '',
    threshold: auto.threshold ?? 0,
    balanceAtCrossing: balance,
    createdAt: now,
    updatedAt: now,
  });
}

async function markTopUp(
  em: EntityManager,
  row: CreditTopUp,
  change: { status: CreditTopUp['status']; error?: string; paymentIntentId?: string; grantId?: string },
): Promise<void> {
  row.status = change.status;
  row.error = change.error?.slice(0, 500) ?? null;
  if (change.paymentIntentId) row.paymentIntentId = change.paymentIntentId;
  if (change.grantId) row.grantId = change.grantId;
  row.updatedAt = new Date();
  await em.flush();
}
