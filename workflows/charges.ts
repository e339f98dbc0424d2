import { proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { ChargeSyncResult, RefundRequest, RefundResult } from '../activities/stripe/charges';
import type { CreditNoteRequest, CreditNoteResult } from '../activities/stripe/credit-notes';
import { stripeCallOptions } from './activity-options';

const stripe = proxyActivities<Activities>(stripeCallOptions);

/**
 * Mirrors one charge as Stripe has it now (id `charge-sync-<event>`, one run per charge event), or the
 * charge that paid an invoice when given the invoice's id (`in_…`, from invoice.paid).
 */
export async function syncChargeWorkflow(stripeChargeId: string): Promise<ChargeSyncResult> {
  return stripe.syncCharge(stripeChargeId);
}

/**
 * An admin's refund of an invoice's charge (id `refund-<invoice>-<key hash>`): started at most once per
 * idempotency key, so a replayed request reads this run's result instead of refunding again.
 */
export async function refundInvoiceWorkflow(req: RefundRequest): Promise<RefundResult> {
  return stripe.refundInvoiceCharge(req);
}

/**
 * An admin's credit note on an invoice (id `credit-note-<invoice>-<key hash>`): started at most once per
 * idempotency key, so a replayed request reads this run's result instead of issuing another. Its name and
 * its activity's (creditInvoice) are Temporal type names that running workflows and histories hold: kept.
 */
export async function creditInvoiceWorkflow(req: CreditNoteRequest): Promise<CreditNoteResult> {
  return stripe.creditInvoice(req);
}

/**
 * Mirrors one invoice as Stripe has it now (id `invoice-sync-<event>`): for invoice events of a
 * subscription whose workflow has ended, such as a refused trial's $1.00, paid and then refunded.
 */
export async function syncInvoiceWorkflow(stripeInvoiceId: string): Promise<{ status: string }> {
  const invoice = await stripe.fetchInvoice(stripeInvoiceId);
  return { status: invoice.status };
}

/** Mirrors one credit note as Stripe has it now (id `credit-note-sync-<event>`, one run per event). */
export async function syncCreditNoteWorkflow(
  stripeCreditNoteId: string,
): Promise<{ mirrored: boolean; status: string | null }> {
  return stripe.syncCreditNote(stripeCreditNoteId);
}
