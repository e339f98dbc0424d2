import { ApplicationFailure } from '@temporalio/activity';
import Stripe from 'stripe';
import { readLedger } from '../../db/credit-ledger';
import { countTopUpTry, markTopUp } from '../../db/credit-top-ups';
import { liveSubscriptionOf } from '../../db/customer-reads';
import { packPriceIn } from '../../domain/currency';
import { CreditPack, CreditSettings, CreditTopUp, Customer, PaymentMethod } from '../../db/entities';
import { sqlFor } from '../../db/raw-sql';
import { creditBalance } from '../../domain/credit-ledger';
import { clockOf } from '../../domain/clock';
import { purchaseRefusal, topUpDue } from '../../domain/credit-purchase';
import { chargeableOffSession, topUpPaid } from '../../domain/top-up-policy';
import type { ActivityDeps } from '../deps';
import type { NotificationInput } from '../notify/outbox';
import { classifyStripeError } from '../stripe/errors';
import { idempotencyKey } from '../stripe/idempotency';
import { requireStripe } from '../stripe/require-stripe';
import { grantBought } from './purchase';
import { declinedNotice } from './top-up-notices';
import { priceTopUp, recordTopUpTax } from './top-up-tax';

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

/** Charging the card on file for an automatic top-up. */
export function createTopUpActivities(deps: ActivityDeps) {
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
    const now = clockOf(deps).now();
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
      const counted = await countTopUpTry(em, record, req, auto, balance, now);
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

  return { chargeTopUp };
}
