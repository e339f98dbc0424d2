/**
 * Who and what an automatic top-up may charge, and when its credits are earned. Pure rules; the top-up
 * activity (activities/credits) carries them out.
 */
import { purchaseRefusal, type AutoTopUp, type PackForSale } from './credit-purchase';

/**
 * Off-session top-ups charge cards only. A bank debit (SEPA, ACH, Link's bank payments) is accepted days
 * before it is paid and can fail after that, so credits granted on it could be spent on money that never
 * arrives.
 */
export function chargeableOffSession(paymentMethodType: string): boolean {
  return paymentMethodType === 'card';
}

/** Credits are earned only once Stripe says the money is in: any other status grants nothing. */
export function topUpPaid(paymentIntentStatus: string): boolean {
  return paymentIntentStatus === 'succeeded';
}

/**
 * A try still at Stripe is in flight until it is marked; a try older than this was cut off (its worker and
 * its retries long gone) and no longer holds back the customer's next top-up.
 */
export const TOP_UP_IN_FLIGHT_MS = 60 * 60 * 1000;

/** Whether another crossing's top-up for this customer is still being charged: one at a time. */
export function otherTopUpInFlight(
  tries: readonly { crossingKey: string; status: string; updatedAt: Date }[],
  crossingKey: string,
  now: Date,
): boolean {
  return tries.some(
    (t) =>
      t.crossingKey !== crossingKey &&
      t.status === 'pending' &&
      now.getTime() - t.updatedAt.getTime() < TOP_UP_IN_FLIGHT_MS,
  );
}

/**
 * Whether a save changes the customer's auto top-up decision. An unchanged save is no new decision, so
 * it names no new crossing (and charges nothing more): only a changed setting, or turning it back on after
 * the engine turned it off, is.
 */
export function autoTopUpChanged(before: AutoTopUp, after: AutoTopUp): boolean {
  return (
    before.enabled !== after.enabled || before.threshold !== after.threshold || before.packId !== after.packId
  );
}

/**
 * Why a due top-up cannot be charged, in the order the customer can mend it (the pack, their plan, the
 * currency they pay in, a card on file), or null when it can. The reason is what the customer is told.
 */
export function topUpRefusal(t: {
  pack: PackForSale | null;
  planCode: string | null;
  priceCents: number | null;
  currency: string;
  hasCard: boolean;
}): string | null {
  const refused = purchaseRefusal(t.pack, t.planCode);
  if (refused?.code === 'credit_pack_not_found') return 'the chosen pack is no longer on sale';
  if (refused) return 'the chosen pack is not sold on your current plan';
  if (t.priceCents === null) return `the chosen pack is not sold in ${t.currency.toUpperCase()}`;
  if (!t.hasCard) return 'no card on file';
  return null;
}
