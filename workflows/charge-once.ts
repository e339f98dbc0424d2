import { ActivityFailure, ApplicationFailure, proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../activities';
import { FAILURE } from '../domain/failure-types';
import { stripeCallOptions } from './activity-options';

const stripe = proxyActivities<Activities>(stripeCallOptions);

/**
 * The patch after which a true-up's or a prepaid commit's run reads the card it charges as it charges
 * (`chargingCard`), not with its terms at its start.
 */
export const CARD_READ_AT_CHARGE = 'card-read-at-charge';

/**
 * One charge of an invoice the engine made (a true-up, a prepaid commit): whether it was paid. A decline,
 * or a customer with no card Stripe can charge, answers false rather than failing the run; the caller
 * decides what an unpaid invoice means.
 */
export async function chargeOnce(stripeInvoiceId: string, paymentMethodId: string | null): Promise<boolean> {
  try {
    const inv = await stripe.payInvoice({
      stripeInvoiceId,
      attempt: 1,
      ...(paymentMethodId ? { paymentMethodId } : {}),
    });
    return inv.status === 'paid';
  } catch (err) {
    const cause = (err as { cause?: unknown }).cause;
    const refused =
      cause instanceof ApplicationFailure &&
      (cause.type === FAILURE.cardDeclined || cause.type === FAILURE.invalidRequest);
    if (err instanceof ActivityFailure && refused) return false;
    throw err;
  }
}
