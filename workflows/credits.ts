import { ApplicationFailure, patched, proxyActivities, sleep } from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { PurchaseGrant, TopUpOutcome, TopUpTry } from '../activities/credits';
import { afterDecline, type CreditPackTerms } from '../domain/credit-purchase';
import { dbActivityOptions, stripeCallOptions } from './activity-options';

const stripe = proxyActivities<Activities>(stripeCallOptions);
const db = proxyActivities<Activities>(dbActivityOptions);
/**
 * A top-up's charge is one request to Stripe: a worker lost in the middle of it is given up on after 15 s,
 * not Stripe's usual minute, and the retry asks Stripe again under the same idempotency key, which answers
 * the first request's outcome (or "in progress", retried) rather than charging twice.
 */
const card = proxyActivities<Activities>({ ...stripeCallOptions, startToCloseTimeout: '15 seconds' });

/** A Checkout page in payment mode where the customer pays for a credit pack. */
export async function creditCheckoutWorkflow(req: {
  customerId: string;
  pack: CreditPackTerms;
  successUrl: string;
  cancelUrl: string;
}): Promise<{ sessionId: string; url: string }> {
  const stripeCustomerId = await stripe.ensureStripeCustomer(req.customerId);
  return stripe.createCreditCheckoutSession({ ...req, stripeCustomerId });
}

/**
 * A paid credit pack (id `credit-purchase-<session>`, started by its checkout.session.completed): the
 * credits are granted once per session, whatever Stripe redelivers, and the customer is told.
 */
export async function creditPurchaseWorkflow(checkoutSessionId: string): Promise<PurchaseGrant> {
  const granted = await stripe.grantPurchasedCredits(checkoutSessionId);
  if (granted.notice) await db.queueNotification(granted.notice);
  return granted;
}

/**
 * An automatic top-up for one crossing of the customer's threshold (id `credit-top-up-<crossing>`): the
 * saved card is charged for the chosen pack, once per crossing. A declined card is retried once after
 * `retryAfterSeconds`; a second decline turns auto top-up off, and the customer is told each time.
 */
export async function creditTopUpWorkflow(req: {
  customerId: string;
  crossingKey: string;
  retryAfterSeconds: number;
}): Promise<TopUpOutcome> {
  for (let attempt = 1; ; attempt++) {
    const tried = { customerId: req.customerId, crossingKey: req.crossingKey, attempt };
    // Runs started before the try was split into steps scheduled it as one activity.
    const outcome = patched('top-up-in-steps') ? await topUpTry(tried) : await card.chargeTopUp(tried);
    if (outcome.notice) await db.queueNotification(outcome.notice);
    if (outcome.status !== 'declined') return outcome;
    if (afterDecline(attempt) === 'disable') {
      const off = await db.disableAutoTopUp({
        customerId: req.customerId,
        crossingKey: req.crossingKey,
        reason: outcome.reason ?? 'the card was declined',
      });
      if (off.notice) await db.queueNotification(off.notice);
      return { ...outcome, autoTopUpDisabled: true };
    }
    await sleep(req.retryAfterSeconds * 1000);
  }
}

/** One try: decide before money moves, make the one Stripe call, write down its answer. */
async function topUpTry(req: TopUpTry): Promise<TopUpOutcome> {
  const prepared = await db.prepareTopUp(req);
  if (!prepared.charge) return prepared.outcome;
  const payment = await card.chargeTopUpCard(prepared.charge);
  const outcome = await db.recordTopUp({ charge: prepared.charge, payment });
  if (payment.status === 'refused')
    throw ApplicationFailure.create({
      message: payment.message ?? 'Stripe refused the charge',
      type: payment.failureType ?? undefined,
      nonRetryable: true,
    });
  return outcome;
}
