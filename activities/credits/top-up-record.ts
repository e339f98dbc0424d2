import { markTopUp } from '../../db/credit-top-ups';
import { CreditTopUp } from '../../db/entities';
import { clockOf } from '../../domain/clock';
import type { ActivityDeps } from '../deps';
import { grantBought } from './purchase';
import type { TopUpCharge } from './top-up-prepare';
import type { TopUpPayment } from './top-up-charge';
import { declinedNotice } from './top-up-notices';
import { topUpOutcome } from './top-up-prepare';
import type { TopUpOutcome } from './top-up-outcome';

/** Writes down what Stripe answered to a top-up's charge. */
export function createTopUpRecordActivities(deps: ActivityDeps) {
  /**
   * Marks the try with Stripe's answer; a paid one grants its credits once per crossing (`topup:<crossing>`)
   * and tells the customer what was charged, in the currency it was charged in (not the pack's base price).
   */
  async function recordTopUp({
    charge,
    payment,
  }: {
    charge: TopUpCharge;
    payment: TopUpPayment;
  }): Promise<TopUpOutcome> {
    const em = deps.orm.em.fork();
    const record = await em.findOneOrFail(CreditTopUp, { crossingKey: charge.crossingKey });
    const customer = { id: charge.customerId, email: charge.email };
    const paymentIntentId = payment.paymentIntentId ?? undefined;
    if (payment.status === 'declined') {
      const reason = payment.message ?? 'the card was declined';
      await markTopUp(em, record, { status: 'declined', error: reason, paymentIntentId });
      return {
        ...topUpOutcome('declined', reason),
        paymentIntentId: payment.paymentIntentId,
        notice: declinedNotice(customer, charge, reason),
      };
    }
    if (payment.status !== 'paid') {
      // Refused, or not paid yet: the try ends and no longer holds back the customer's next one, and no
      // credits are granted on money that may never arrive.
      await markTopUp(em, record, { status: 'failed', error: payment.message ?? undefined, paymentIntentId });
      return { ...topUpOutcome('pending', payment.message), paymentIntentId: payment.paymentIntentId };
    }
    const made = await grantBought(
      em,
      {
        customerId: charge.customerId,
        credits: charge.credits,
        packId: charge.packId,
        expiresAfterDays: charge.expiresAfterDays,
        sourceKey: `topup:${charge.crossingKey}`,
        paymentIntentId: payment.paymentIntentId!,
        reason: `Automatic top-up: ${charge.packName}`,
      },
      clockOf(deps).now(),
    );
    await markTopUp(em, record, { status: 'succeeded', paymentIntentId, grantId: made.grant.id });
    return {
      status: 'charged',
      reason: null,
      grantId: made.grant.id,
      paymentIntentId: payment.paymentIntentId,
      notice: {
        customerId: charge.customerId,
        email: charge.email,
        kind: 'credits_topped_up',
        dedupeKey: `credits_topped_up:${made.grant.id}`,
        payload: { credits: made.grant.amount, amountCents: payment.amountCents, currency: payment.currency },
      },
    };
  }

  return { recordTopUp };
}
