import type { CreditNoteReason } from '../../domain/credit-notes';
import { conflict } from '../../domain/errors';
import type { Identity } from '../../domain/identity';
import type { creditInvoiceWorkflow } from '../../workflows';
import type { CoreDeps } from '../deps';
import { workflowType } from '../temporal/workflow-type';
import { detailsOf, moneyBackOncePerKey, type MoneyBackRequest } from './once-per-key';
import { FAILURE } from '../../domain/failure-types';

export interface AdminCreditNote extends MoneyBackRequest {
  reason: CreditNoteReason;
  memo?: string;
}

export type IssuedCreditNote = Awaited<ReturnType<typeof creditInvoiceWorkflow>> & { idempotencyKey: string };

/**
 * Issues a credit note on an invoice through its workflow, started at most once per key, so a replayed
 * request answers the first result, success or refusal, and Stripe sees one credit note. Never more than
 * is left once refunds and earlier credit notes are counted.
 */
export async function issueCreditNoteAsAdmin(
  deps: CoreDeps,
  actor: Identity,
  req: AdminCreditNote,
): Promise<IssuedCreditNote> {
  return moneyBackOncePerKey(
    deps,
    actor,
    'credit-note',
    workflowType('creditInvoiceWorkflow'),
    req,
    (failure) => {
      if (failure.type === FAILURE.creditExceedsInvoice) {
        return conflict('credit_exceeds_invoice', failure.message, {
          field: 'amountCents',
          amount_left_cents: detailsOf(failure).amountLeftCents ?? null,
        });
      }
      if (failure.type === FAILURE.invoiceNotCreditable) {
        return conflict('invoice_not_creditable', failure.message, {
          field: 'invoiceId',
          status: detailsOf(failure).status ?? null,
        });
      }
      return null;
    },
  );
}
