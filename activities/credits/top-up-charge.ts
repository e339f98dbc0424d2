import { ApplicationFailure } from '@temporalio/activity';
import Stripe from 'stripe';
import { topUpPaid } from '../../domain/top-up-policy';
import type { ActivityDeps } from '../deps';
import { classifyStripeError } from '../stripe/errors';
import { idempotencyKey } from '../stripe/idempotency';
import { requireStripe } from '../stripe/require-stripe';
import type { TopUpCharge } from './top-up-prepare';
import { priceTopUp, recordTopUpTax } from './top-up-tax';

/** What Stripe answered to a top-up's charge. */
export interface TopUpPayment {
  /**
   * `paid`: the money is in (and its tax recorded); `declined`: the card refused; `pending`: Stripe took the
   * charge but has not been paid; `refused`: Stripe refused the request itself, which no retry mends.
   */
  status: 'paid' | 'declined' | 'pending' | 'refused';
  paymentIntentId: string | null;
  /** What was charged, tax included, in the currency it was charged in. */
  amountCents: number;
  currency: string;
  message: string | null;
  /** The failure type of a refusal, so the workflow fails as the one-step activity did. */
  failureType: string | null;
}

/** The one call to Stripe a top-up's try makes. */
export function createTopUpChargeActivities(deps: ActivityDeps) {
  /**
   * Charges the card off-session, with an idempotency key per crossing and try: a retry after a lost worker
   * asks Stripe again and gets the first request's answer rather than a second charge. A decline is an
   * answer, not a failure: the workflow decides what follows.
   */
  async function chargeTopUpCard(charge: TopUpCharge): Promise<TopUpPayment> {
    const stripe = requireStripe(deps);
    const answer = (status: TopUpPayment['status'], rest: Partial<TopUpPayment> = {}): TopUpPayment => ({
      status,
      paymentIntentId: null,
      amountCents: 0,
      currency: charge.currency,
      message: null,
      failureType: null,
      ...rest,
    });
    const price = await priceTopUp(stripe, deps.stripeTax ?? false, {
      stripeCustomerId: charge.stripeCustomerId,
      priceCents: charge.priceCents,
      currency: charge.currency,
      packId: charge.packId,
    });
    let intent: Stripe.PaymentIntent;
    try {
      intent = await stripe.paymentIntents.create(
        {
          amount: price.amountCents,
          currency: charge.currency,
          customer: charge.stripeCustomerId,
          payment_method: charge.paymentMethodId,
          off_session: true,
          confirm: true,
          description: `Automatic top-up: ${charge.packName}`,
          metadata: {
            kind: 'credit_top_up',
            customer_id: charge.customerId,
            credit_pack_id: charge.packId,
            crossing: charge.crossingKey,
          },
        },
        { idempotencyKey: idempotencyKey(`topup:${charge.crossingKey}:${charge.attempt}`) },
      );
    } catch (err) {
      if (err instanceof Stripe.errors.StripeCardError)
        return answer('declined', { message: err.message, paymentIntentId: err.payment_intent?.id ?? null });
      try {
        return classifyStripeError(err);
      } catch (failure) {
        if (failure instanceof ApplicationFailure && failure.nonRetryable)
          return answer('refused', { message: failure.message, failureType: failure.type ?? null });
        throw failure;
      }
    }
    if (!topUpPaid(intent.status))
      return answer('pending', {
        paymentIntentId: intent.id,
        message: `the payment is ${intent.status}, not paid`,
      });
    await recordTopUpTax(stripe, price, charge.crossingKey);
    return answer('paid', {
      paymentIntentId: intent.id,
      amountCents: intent.amount,
      currency: intent.currency,
    });
  }

  return { chargeTopUpCard };
}
