import { UniqueConstraintViolationException } from '@mikro-orm/core';
import type Stripe from 'stripe';
import { Subscription } from '../../db/entities';
import type { ActivityDeps } from '../deps';
import { stripeCall } from './errors';
import { requireStripe } from './require-stripe';
import { expandableId } from '../../integrations/stripe/expandable-id';

export interface TrialCardClaim {
  /** The fingerprint of the card paying for the trial; null when Stripe shows no card. */
  fingerprint: string | null;
  /** The card already paid for another customer's trial: this trial must not start. */
  refused: boolean;
  /** The invoice that charged the signup fee (the subscription's first), to refund on a refusal. */
  signupInvoiceId: string | null;
}

/** One trial per card: the paying card's fingerprint is claimed by the first trial it paid for. */
export function createStripeTrialActivities(deps: ActivityDeps) {
  async function fingerprintOf(stripe: Stripe, sub: Stripe.Subscription): Promise<string | null> {
    const pm = sub.default_payment_method;
    if (pm && typeof pm === 'object') return pm.card?.fingerprint ?? null;
    // Without a card pinned on the subscription, Stripe charges the customer's default one.
    const customer = await stripeCall(() =>
      stripe.customers.retrieve(expandableId(sub.customer) ?? '', {
        expand: ['invoice_settings.default_payment_method'],
      }),
    );
    if (customer.deleted) return null;
    const fallback = customer.invoice_settings.default_payment_method;
    return fallback && typeof fallback === 'object' ? (fallback.card?.fingerprint ?? null) : null;
  }

  /**
   * Records the paying card's fingerprint on this trial's subscription, unless another trial holds it.
   * The column is unique, so of two trials paid with one card at the same moment only one gets it.
   */
  async function claimTrialCard(req: {
    subscriptionId: string;
    stripeSubscriptionId: string;
  }): Promise<TrialCardClaim> {
    const stripe = requireStripe(deps);
    const sub = await stripeCall(() =>
      stripe.subscriptions.retrieve(req.stripeSubscriptionId, { expand: ['default_payment_method'] }),
    );
    const fingerprint = await fingerprintOf(stripe, sub);
    const signupInvoiceId = expandableId(sub.latest_invoice);
    if (!fingerprint) return { fingerprint, refused: false, signupInvoiceId };
    const em = deps.orm.em.fork();
    const holder = await em.findOne(Subscription, { trialCardFingerprint: fingerprint });
    if (holder) return { fingerprint, refused: holder.id !== req.subscriptionId, signupInvoiceId };
    try {
      await em.nativeUpdate(Subscription, { id: req.subscriptionId }, { trialCardFingerprint: fingerprint });
    } catch (err) {
      if (err instanceof UniqueConstraintViolationException)
        return { fingerprint, refused: true, signupInvoiceId };
      throw err;
    }
    return { fingerprint, refused: false, signupInvoiceId };
  }

  return { claimTrialCard };
}
