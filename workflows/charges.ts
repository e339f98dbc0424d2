import { proxyActivities, setHandler } from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { ChargeSyncResult, RefundRequest, RefundResult } from '../activities/stripe/charges';
import type { CreditNoteRequest, CreditNoteResult } from '../activities/stripe/credit-notes';
import { stripeCallOptions } from './activity-options';
import { mirrorAgain } from './messages';

const stripe = proxyActivities<Activities>(stripeCallOptions);

/**
 * Reads until no event of the object came in during the last read. The first read is unconditional, so
 * runs recorded before `mirrorAgain` existed replay as they were. A signal delivered with the read's
 * completion is handled before the loop looks again, and one arriving as the run completes makes Temporal
 * refuse the completion and run the task again with it.
 */
async function readUntilQuiet<T>(read: () => Promise<T>): Promise<T> {
  let again = false;
  setHandler(mirrorAgain, () => {
    again = true;
  });
  let last: T;
  do {
    again = false;
    last = await read();
  } while (again);
  return last;
}

/**
 * Mirrors one charge as Stripe has it now, or the charge that paid an invoice when given the invoice's id
 * (`in_…`, from invoice.paid). One run per charge at a time (`charge-mirror-<charge>`); runs of
 * `charge-sync-<event>` were one per event.
 */
export async function syncChargeWorkflow(stripeChargeId: string): Promise<ChargeSyncResult> {
  return readUntilQuiet(() => stripe.syncCharge(stripeChargeId));
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
 * Mirrors one invoice as Stripe has it now, without its charge: the type of the invoice runs started before
 * mirrorInvoiceWorkflow (`invoice-sync-<event>`, one per event), kept for those still open and for replay.
 * It reads again when told, as the newer type does.
 */
export async function syncInvoiceWorkflow(stripeInvoiceId: string): Promise<{ status: string }> {
  const invoice = await readUntilQuiet(() => stripe.fetchInvoice(stripeInvoiceId));
  return { status: invoice.status };
}

/**
 * Mirrors one invoice and the charge of its latest payment (`invoice-mirror-<invoice>`, one run per invoice
 * at a time): a renewal's created, finalized, paid and its charge's succeeded or failed, which would
 * otherwise be a run of the invoice and a run of the charge. Later events of the charge alone (refunds,
 * disputes) keep the charge's own run; both only ever move the charge's mirror forwards.
 */
export async function mirrorInvoiceWorkflow(
  stripeInvoiceId: string,
): Promise<{ status: string; charge: ChargeSyncResult | null }> {
  const { invoice, charge } = await readUntilQuiet(() => stripe.mirrorInvoiceAndCharge(stripeInvoiceId));
  return { status: invoice.status, charge };
}

/** Mirrors one credit note as Stripe has it now (id `credit-note-sync-<event>`, one run per event). */
export async function syncCreditNoteWorkflow(
  stripeCreditNoteId: string,
): Promise<{ mirrored: boolean; status: string | null }> {
  return stripe.syncCreditNote(stripeCreditNoteId);
}
