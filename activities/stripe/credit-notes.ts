import { ApplicationFailure } from '@temporalio/activity';
import type Stripe from 'stripe';
import { recordAudit } from '../../db/audit';
import { AuditEntry } from '../../db/entities';
import type { CreditNoteReason } from '../../domain/credit-notes';
import type { ActivityDeps } from '../deps';
import { clockOf } from '../../domain/clock';
import { upsertCreditNote } from '../../db/mirror';
import { stripeCall } from './errors';
import { idempotencyKey, requestTag } from './idempotency';
import {
  creditableCents,
  oneAdjustmentAtATime,
  readInvoiceMoney,
  refundedByCreditNote,
  stripeInvoiceIdOf,
  type InvoiceMoney,
} from './invoice-money';
import { requireStripe } from './require-stripe';
import { FAILURE } from '../../domain/failure-types';

export interface CreditNoteRequest {
  /** Ours (`inv_…`) or Stripe's (`in_…`). */
  invoiceId: string;
  /** Omitted: whatever is left to credit. */
  amountCents?: number;
  reason: CreditNoteReason;
  memo?: string;
  /** The caller's key: the same key never credits twice. */
  idempotencyKey: string;
  actorId: string;
  actorEmail: string | null;
}

export interface CreditNoteResult {
  creditNoteId: string;
  number: string | null;
  stripeInvoiceId: string;
  amountCents: number;
  currency: string;
  reason: string | null;
  memo: string | null;
  /** `post_payment` (a paid invoice: credit to the customer's balance) or `pre_payment` (less to pay). */
  type: string;
  invoiceAmountPaidCents: number;
  /** Every credit note of the invoice not voided, less what they paid back as refunds. */
  amountCreditedCents: number;
  amountRefundedCents: number;
  /** What a further credit note could still give back. */
  amountLeftCents: number;
}

/** Every credit note of the invoice not voided, less the parts paid back as refunds. */
const creditedCents = (m: InvoiceMoney) =>
  m.creditNotes.reduce((sum, cn) => sum + cn.amount - refundedByCreditNote(cn), 0);

/**
 * The credit note request the engine sends: after payment the whole amount goes to the customer's credit
 * balance (their next invoices use it), said explicitly rather than left to Stripe's default; before
 * payment it lowers what the invoice asks for.
 */
export function issueCreditNote(
  stripe: Stripe,
  p: {
    stripeInvoiceId: string;
    amountCents: number;
    afterPayment: boolean;
    reason: CreditNoteReason;
    memo?: string;
    request: string;
    actorId: string;
    idempotencyKey: string;
  },
): Promise<Stripe.CreditNote> {
  return stripeCall(() =>
    stripe.creditNotes.create(
      {
        invoice: p.stripeInvoiceId,
        amount: p.amountCents,
        ...(p.afterPayment ? { credit_amount: p.amountCents } : {}),
        reason: p.reason,
        ...(p.memo ? { memo: p.memo } : {}),
        metadata: { engine_request: p.request, actor: p.actorId.slice(0, 500) },
      },
      { idempotencyKey: p.idempotencyKey },
    ),
  );
}

/** Credit notes: issuing one for an admin, and mirroring those Stripe tells of. */
export function createStripeCreditNoteActivities(deps: ActivityDeps) {
  /**
   * Issues a credit note on an invoice, never for more than is left once refunds and earlier credit notes
   * are counted, one refund or credit note of the invoice at a time. The Stripe idempotency key and the
   * request's mark come from the caller's key, so a retry finds the first attempt's credit note. The name
   * is the activity's Temporal type, which recorded histories hold, so it stays.
   */
  async function creditInvoice(req: CreditNoteRequest): Promise<CreditNoteResult> {
    const stripe = requireStripe(deps);
    const em = deps.orm.em.fork();
    const stripeInvoiceId = await stripeInvoiceIdOf(em, req.invoiceId);
    return oneAdjustmentAtATime(em, stripeInvoiceId, async () => {
      const before = await readInvoiceMoney(stripe, em, stripeInvoiceId);
      const request = requestTag(req.idempotencyKey);
      let note = before.creditNotes.find((cn) => cn.metadata?.engine_request === request) ?? null;
      if (!note) {
        const status = before.invoice.status ?? 'draft';
        if (status !== 'paid' && status !== 'open') {
          throw ApplicationFailure.create({
            message: `invoice ${stripeInvoiceId} is ${status}: only open or paid invoices take credit notes`,
            type: FAILURE.invoiceNotCreditable,
            nonRetryable: true,
            details: [{ status }],
          });
        }
        const left = creditableCents(before);
        const amount = req.amountCents ?? left;
        if (amount <= 0 || amount > left) {
          throw ApplicationFailure.create({
            message: `a credit note of ${amount} cents exceeds the ${left} cents left to credit on ${stripeInvoiceId}`,
            type: FAILURE.creditExceedsInvoice,
            nonRetryable: true,
            details: [{ amountLeftCents: left }],
          });
        }
        note = await issueCreditNote(stripe, {
          stripeInvoiceId,
          amountCents: amount,
          afterPayment: status === 'paid',
          reason: req.reason,
          memo: req.memo,
          request,
          actorId: req.actorId,
          idempotencyKey: idempotencyKey(`credit-note:${stripeInvoiceId}:${request}`),
        });
      }
      await upsertCreditNote(em, note, clockOf(deps));
      const after = await readInvoiceMoney(stripe, em, stripeInvoiceId);
      const result: CreditNoteResult = {
        creditNoteId: note.id,
        number: note.number || null,
        stripeInvoiceId,
        amountCents: note.amount,
        currency: note.currency,
        reason: note.reason ?? null,
        memo: note.memo ?? null,
        type: note.type,
        invoiceAmountPaidCents: after.invoice.amount_paid,
        amountCreditedCents: creditedCents(after),
        amountRefundedCents: after.charge?.amount_refunded ?? 0,
        amountLeftCents: creditableCents(after),
      };
      // Named by the credit note, so a retried activity finds its entry instead of writing a second one.
      const auditId = `aud_${note.id}`.slice(0, 40);
      if (!(await em.findOne(AuditEntry, auditId))) {
        recordAudit(em, {
          id: auditId,
          actor: { sub: req.actorId, email: req.actorEmail },
          action: 'invoice.credit_note',
          entityType: 'invoice',
          entityId: stripeInvoiceId,
          before: {
            amount_credited_cents: creditedCents(before),
            amount_left_cents: creditableCents(before),
          },
          after: {
            credit_note: note.id,
            amount_cents: note.amount,
            reason: req.reason,
            memo: req.memo ?? null,
            amount_credited_cents: result.amountCreditedCents,
            amount_left_cents: result.amountLeftCents,
          },
        });
        await em.flush();
      }
      return result;
    });
  }

  /** Re-reads a credit note from Stripe into the mirror (one made or voided in Stripe's dashboard too). */
  async function syncCreditNote(
    stripeCreditNoteId: string,
  ): Promise<{ mirrored: boolean; status: string | null }> {
    const stripe = requireStripe(deps);
    const cn = await stripeCall(() => stripe.creditNotes.retrieve(stripeCreditNoteId));
    const row = await upsertCreditNote(deps.orm.em.fork(), cn, clockOf(deps));
    return { mirrored: row !== null, status: row?.status ?? null };
  }

  return { creditInvoice, syncCreditNote };
}
