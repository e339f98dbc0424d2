import type { CreditPackTerms } from '../../domain/credit-purchase';
import { missingCardBehavior, type TrialWithoutCard } from '../../domain/trial';
import { creditPurchaseMetadata } from '../../integrations/stripe/credit-purchase-metadata';
import type { ActivityDeps } from '../deps';
import { calendarTerms, type CalendarAsk } from './calendar-checkout';
import { stripeCall } from './errors';
import { idempotencyKey } from './idempotency';
import { requireStripe } from './require-stripe';

export interface CheckoutRequest extends CalendarAsk {
  subscriptionId: string;
  stripeCustomerId: string;
  priceId: string;
  /** Bills usage beyond the plan's included credits at each period end; metered lines take no quantity. */
  usagePriceId?: string | null;
  trialDays: number;
  /** The trial starts without a card (Checkout asks for none while nothing is due), and ends so without one. */
  trialWithoutCard?: TrialWithoutCard | null;
  /**
   * Charged once, at signup, on the first invoice (a trial tier's $1.00): a one-time line beside the
   * recurring price, which Stripe bills at once even though the trial defers the recurring one.
   */
  signupFee?: { amountCents: number; currency: string; stripeProductId: string } | null;
  successUrl: string;
  cancelUrl: string;
  /** A promotion code Stripe redeems onto the subscription (the API checked it first). */
  promotionCodeId?: string | null;
  /** The plan price's quantity: the seats on a plan priced per seat. Absent: one. */
  quantity?: number | null;
}

/**
 * With Stripe Tax on: Checkout asks for the billing address (it decides the rate) and lets a business
 * give its tax id (a valid EU VAT id is reverse-charged), saves both on the customer, and Stripe adds tax
 * to the session and to the subscription's invoices from then on.
 */
function taxCollection(deps: ActivityDeps) {
  if (!deps.stripeTax) return {};
  return {
    automatic_tax: { enabled: true },
    billing_address_collection: 'required' as const,
    tax_id_collection: { enabled: true },
    customer_update: { address: 'auto' as const, name: 'auto' as const },
  };
}

/** Hosted pages: Checkout for a new subscription or a new card, the billing portal for self-service. */
export function createStripeCheckoutActivities(deps: ActivityDeps) {
  async function createCheckoutSession(req: CheckoutRequest): Promise<{ sessionId: string; url: string }> {
    const stripe = requireStripe(deps);
    // Nothing is due at signup (no fee), so Checkout need not ask for a card.
    const cardless = req.trialDays > 0 && !!req.trialWithoutCard && !req.signupFee?.amountCents;
    const calendar = await calendarTerms(deps, stripe, req);
    const session = await stripeCall(() =>
      stripe.checkout.sessions.create(
        {
          mode: 'subscription',
          customer: req.stripeCustomerId,
          client_reference_id: req.subscriptionId,
          line_items: [
            { price: req.priceId, quantity: req.quantity ?? 1 },
            ...(req.usagePriceId ? [{ price: req.usagePriceId }] : []),
            ...(req.signupFee && req.signupFee.amountCents > 0
              ? [
                  {
                    price_data: {
                      currency: req.signupFee.currency,
                      product: req.signupFee.stripeProductId,
                      unit_amount: req.signupFee.amountCents,
                    },
                    quantity: 1,
                  },
                ]
              : []),
          ],
          success_url: req.successUrl,
          cancel_url: req.cancelUrl,
          ...taxCollection(deps),
          ...(req.promotionCodeId ? { discounts: [{ promotion_code: req.promotionCodeId }] } : {}),
          ...(cardless ? { payment_method_collection: 'if_required' as const } : {}),
          ...calendar.session,
          // Our id rides on the Stripe subscription so every later Stripe event finds its workflow.
          subscription_data: {
            metadata: { subscription_id: req.subscriptionId },
            ...(req.trialDays > 0
              ? {
                  ...(calendar.trialEnd
                    ? { trial_end: calendar.trialEnd }
                    : { trial_period_days: req.trialDays }),
                  trial_settings: {
                    end_behavior: { missing_payment_method: missingCardBehavior(req.trialWithoutCard) },
                  },
                }
              : {}),
            ...calendar.subscription,
          },
          metadata: { subscription_id: req.subscriptionId },
        },
        // A second page for the same subscription with another code is another request.
        {
          idempotencyKey: idempotencyKey(
            `checkout:${req.subscriptionId}${req.promotionCodeId ? `:${req.promotionCodeId}` : ''}`,
          ),
        },
      ),
    );
    return { sessionId: session.id, url: session.url ?? '' };
  }

  async function createPortalSession(req: {
    stripeCustomerId: string;
    returnUrl: string;
  }): Promise<{ url: string }> {
    const stripe = requireStripe(deps);
    const session = await stripeCall(() =>
      stripe.billingPortal.sessions.create(
        { customer: req.stripeCustomerId, return_url: req.returnUrl },
        // Named by the calling workflow and activity: a retry returns the same session, not a second one.
        { idempotencyKey: idempotencyKey() },
      ),
    );
    return { url: session.url };
  }

  /**
   * Checkout in setup mode: the customer types a card on Stripe's page (3-D Secure there when the card
   * asks for it) and Stripe attaches it, which `payment_method.attached` brings into the mirror.
   */
  async function createCardSetupSession(req: {
    stripeCustomerId: string;
    currency: string;
    successUrl: string;
    cancelUrl: string;
  }): Promise<{ sessionId: string; url: string }> {
    const stripe = requireStripe(deps);
    const session = await stripeCall(() =>
      stripe.checkout.sessions.create(
        {
          mode: 'setup',
          customer: req.stripeCustomerId,
          currency: req.currency,
          success_url: req.successUrl,
          cancel_url: req.cancelUrl,
        },
        // One run per request: a retry returns the same page rather than opening a second.
        { idempotencyKey: idempotencyKey() },
      ),
    );
    return { sessionId: session.id, url: session.url ?? '' };
  }

  /**
   * Checkout in payment mode for one credit pack. What the purchase grants rides in the session's metadata
   * (and its payment intent's), so the grant made when it is paid is what the customer saw, even if an
   * admin changes the pack meanwhile; the card is kept for automatic top-ups.
   */
  async function createCreditCheckoutSession(req: {
    customerId: string;
    stripeCustomerId: string;
    pack: CreditPackTerms;
    successUrl: string;
    cancelUrl: string;
  }): Promise<{ sessionId: string; url: string }> {
    const stripe = requireStripe(deps);
    const metadata = creditPurchaseMetadata(req.customerId, req.pack);
    const session = await stripeCall(() =>
      stripe.checkout.sessions.create(
        {
          mode: 'payment',
          customer: req.stripeCustomerId,
          client_reference_id: req.customerId,
          line_items: [
            {
              price_data: {
                currency: req.pack.currency,
                product_data: { name: req.pack.name },
                unit_amount: req.pack.priceCents,
              },
              quantity: 1,
            },
          ],
          payment_intent_data: { metadata, setup_future_usage: 'off_session' },
          ...taxCollection(deps),
          metadata,
          success_url: req.successUrl,
          cancel_url: req.cancelUrl,
        },
        // One run per request: a retry returns the same page rather than opening a second.
        { idempotencyKey: idempotencyKey() },
      ),
    );
    return { sessionId: session.id, url: session.url ?? '' };
  }

  return { createCheckoutSession, createPortalSession, createCardSetupSession, createCreditCheckoutSession };
}
