import { Refund } from '../../db/entities';
import { voidRefundedCredits } from '../credits/refunds';
import type { ActivityDeps } from '../deps';
import { upsertCharge, upsertRefund } from '../../db/mirror';
import { stripeCall } from './errors';
import { chargeIdOfInvoice, latestDispute } from './invoice-money';
import { createStripeRefundActivities, refundsOf } from './refunds';
import { requireStripe } from './require-stripe';
import { lostToDispute } from '../../domain/credit-purchase';
import { clockOf } from '../../domain/clock';

export type { RefundRequest, RefundResult } from './refunds';

export interface ChargeSyncResult {
  mirrored: boolean;
  status: string | null;
  amountRefundedCents: number | null;
  disputeStatus?: string | null;
}

/**
 * Re-reads one charge (and its dispute, if it has one) from Stripe and upserts the mirror: an event says
 * only that something changed, and its payload may be older than another event already applied.
 */
export async function mirrorCharge(deps: ActivityDeps, stripeChargeId: string): Promise<ChargeSyncResult> {
  const stripe = requireStripe(deps);
  const ch = await stripeCall(() => stripe.charges.retrieve(stripeChargeId));
  const dispute = ch.disputed ? await latestDispute(stripe, ch.id) : null;
  const em = deps.orm.em.fork();
  const row = await upsertCharge(em, ch, dispute, clockOf(deps));
  // Refunded, or refunded before and since failed: each refund is kept with its own date and status.
  if (row && (ch.amount_refunded > 0 || (await em.count(Refund, { charge: row.id })) > 0)) {
    for (const r of await refundsOf(stripe, ch.id)) await upsertRefund(em, r, clockOf(deps));
  }
  const paymentIntentId = typeof ch.payment_intent === 'string' ? ch.payment_intent : ch.payment_intent?.id;
  // A credit pack or top-up refunded, or its dispute lost, takes its credits back (an invoice's charge
  // finds no grant); a dispute open or won takes nothing.
  if (paymentIntentId) {
    await voidRefundedCredits(
      em,
      {
        paymentIntentId,
        amountCents: ch.amount,
        amountRefundedCents: ch.amount_refunded,
        amountDisputeLostCents: lostToDispute(dispute),
      },
      clockOf(deps),
    );
  }
  return {
    mirrored: row !== null,
    status: row?.status ?? null,
    amountRefundedCents: row?.amountRefundedCents ?? null,
    disputeStatus: row?.disputeStatus ?? null,
  };
}

/** Mirroring charges from Stripe, and refunding an invoice's charge. */
export function createStripeChargeActivities(deps: ActivityDeps) {
  /**
   * Mirrors a charge as Stripe has it now. An invoice id (`in_…`) stands for the charge that paid it, so
   * a paid invoice's charge is mirrored even when no charge event arrives (newer API versions name no
   * charge on the invoice: Stripe is asked).
   */
  async function syncCharge(stripeChargeOrInvoiceId: string): Promise<ChargeSyncResult> {
    const stripeChargeId = stripeChargeOrInvoiceId.startsWith('in_')
      ? await chargeIdOfInvoice(requireStripe(deps), deps.orm.em.fork(), stripeChargeOrInvoiceId)
      : stripeChargeOrInvoiceId;
    // Paid without a charge (from the customer's balance, or out of band): nothing to mirror.
    if (!stripeChargeId) return { mirrored: false, status: null, amountRefundedCents: null };
    return mirrorCharge(deps, stripeChargeId);
  }

  return { syncCharge, ...createStripeRefundActivities(deps) };
}
