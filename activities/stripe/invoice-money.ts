import { ApplicationFailure, Context } from '@temporalio/activity';
import type { EntityManager } from '@mikro-orm/core';
import type Stripe from 'stripe';
import { Charge, Invoice } from '../../db/entities';
import { acquireLease, releaseLease } from '../../db/leases';
import { stripeCall } from './errors';
import { FAILURE } from '../../domain/failure-types';
import { expandableId } from '../../integrations/stripe/expandable-id';

/** Stripe's invoice id for ours (`inv_…`) or Stripe's own (`in_…`, perhaps not mirrored yet). */
export async function stripeInvoiceIdOf(em: EntityManager, invoiceId: string): Promise<string> {
  const row = await em.findOne(Invoice, { $or: [{ id: invoiceId }, { stripeInvoiceId: invoiceId }] });
  const stripeInvoiceId = row?.stripeInvoiceId ?? (invoiceId.startsWith('in_') ? invoiceId : null);
  if (!stripeInvoiceId) {
    throw ApplicationFailure.nonRetryable(`invoice ${invoiceId} not found`, FAILURE.invoiceNotFound);
  }
  return stripeInvoiceId;
}

/**
 * The charge that paid an invoice: from the mirror, else as Stripe links it (the invoice's charge or
 * payment intent on older API versions, its invoice payment on newer ones); null when nothing was
 * charged (paid from the customer's balance, out of band, or not paid).
 */
export async function chargeIdOfInvoice(
  stripe: Stripe,
  em: EntityManager,
  stripeInvoiceId: string,
  /** The invoice, when the caller has just read it. */
  read?: Stripe.Invoice,
): Promise<string | null> {
  const mirrored = await em.findOne(
    Charge,
    { stripeInvoiceId, status: 'succeeded' },
    { orderBy: { createdAt: 'desc' } },
  );
  if (mirrored) return mirrored.stripeChargeId;
  const inv = (read ??
    (await stripeCall(() => stripe.invoices.retrieve(stripeInvoiceId)))) as unknown as Record<
    string,
    unknown
  >;
  const charge = expandableId(inv.charge);
  if (charge) return charge;
  let pi = expandableId(inv.payment_intent);
  if (!pi) {
    const payments = await stripeCall(() => stripe.invoicePayments.list({ invoice: stripeInvoiceId }));
    const paid = payments.data.find((p) => p.status === 'paid') ?? payments.data[0];
    pi = expandableId(paid?.payment?.payment_intent);
  }
  if (!pi) return null;
  return expandableId((await stripeCall(() => stripe.paymentIntents.retrieve(pi))).latest_charge);
}

/** What an invoice was paid and what of it has gone back already, as Stripe has it now. */
export interface InvoiceMoney {
  invoice: Stripe.Invoice;
  charge: Stripe.Charge | null;
  /** Credit notes not voided. */
  creditNotes: Stripe.CreditNote[];
  /**
   * Given back after payment by credit notes other than as refunds (customer balance, out of band): the
   * refunds a credit note made are in the charge's refunded amount already.
   */
  creditedAfterPaymentCents: number;
  /** The charge's latest dispute, if it has one. */
  dispute: Stripe.Dispute | null;
  /** Held or taken back by the cardholder's bank: an open dispute's amount, or a lost one's. */
  disputedCents: number;
}

/** The charge's newest dispute (Stripe allows one per charge; a second would follow a closed first). */
export async function latestDispute(stripe: Stripe, chargeId: string): Promise<Stripe.Dispute | null> {
  const list = await stripeCall(() => stripe.disputes.list({ charge: chargeId, limit: 10 }));
  return list.data.reduce<Stripe.Dispute | null>((a, d) => (a && a.created >= d.created ? a : d), null);
}

/** Dispute outcomes after which the merchant keeps the money. */
const KEPT = new Set(['won', 'warning_closed', 'prevented']);

/** The part of a credit note Stripe paid back as refunds on the invoice's charge. */
export const refundedByCreditNote = (cn: Stripe.CreditNote): number =>
  (cn.refunds ?? []).reduce((sum, r) => sum + (r.amount_refunded ?? 0), 0);

export async function readInvoiceMoney(
  stripe: Stripe,
  em: EntityManager,
  stripeInvoiceId: string,
): Promise<InvoiceMoney> {
  const invoice = await stripeCall(() => stripe.invoices.retrieve(stripeInvoiceId));
  const chargeId =
    invoice.status === 'paid' ? await chargeIdOfInvoice(stripe, em, stripeInvoiceId, invoice) : null;
  const charge = chargeId ? await stripeCall(() => stripe.charges.retrieve(chargeId)) : null;
  const creditNotes: Stripe.CreditNote[] = [];
  for (let startingAfter: string | undefined; ;) {
    const page = await stripeCall(() =>
      stripe.creditNotes.list({
        invoice: stripeInvoiceId,
        limit: 100,
        ...(startingAfter ? { starting_after: startingAfter } : {}),
      }),
    );
    creditNotes.push(...page.data.filter((cn) => cn.status !== 'void'));
    if (!page.has_more || page.data.length === 0) break;
    startingAfter = page.data[page.data.length - 1]?.id;
  }
  const creditedAfterPaymentCents = creditNotes
    .filter((cn) => cn.type === 'post_payment')
    .reduce((sum, cn) => sum + cn.amount - refundedByCreditNote(cn), 0);
  const dispute = charge?.disputed ? await latestDispute(stripe, charge.id) : null;
  const disputedCents = dispute && !KEPT.has(dispute.status) ? dispute.amount : 0;
  return { invoice, charge, creditNotes, creditedAfterPaymentCents, dispute, disputedCents };
}

/**
 * What a new credit note may still give back: on a paid invoice, what was paid less what was refunded,
 * what credit notes gave back otherwise and what a dispute holds or took; on an open one, what it still
 * asks for.
 */
export function creditableCents(m: InvoiceMoney): number {
  if (m.invoice.status === 'open') return Math.max(0, m.invoice.amount_remaining);
  if (m.invoice.status !== 'paid') return 0;
  const refunded = m.charge?.amount_refunded ?? 0;
  return Math.max(0, m.invoice.amount_paid - refunded - m.creditedAfterPaymentCents - m.disputedCents);
}

/**
 * What a new refund may still give back: the charge's unrefunded amount less what credit notes gave back
 * and what a dispute holds or took.
 */
export function refundableCents(m: InvoiceMoney): number {
  if (!m.charge) return 0;
  return Math.max(
    0,
    m.charge.amount - m.charge.amount_refunded - m.creditedAfterPaymentCents - m.disputedCents,
  );
}

/** Long enough to outlive one activity attempt (a minute), so a dead worker's lease lapses by itself. */
const LEASE_TTL_MS = 90_000;
/** Another refund or credit note of the invoice takes a second or two; past this, Temporal retries. */
const LEASE_WAIT_MS = 20_000;

/**
 * Runs `fn` as the only refund or credit note of this invoice in progress, across workers: each checks
 * what is left to give back and then gives it, and two at once would both see the same amount left. A
 * retry of the same activity takes its own lease back.
 */
export async function oneAdjustmentAtATime<T>(
  em: EntityManager,
  stripeInvoiceId: string,
  fn: () => Promise<T>,
): Promise<T> {
  const name = `invoice-adjustment:${stripeInvoiceId}`;
  const { workflowExecution, activityId } = Context.current().info;
  const holder = `${workflowExecution?.workflowId ?? 'activity'}/${activityId}`;
  if (!(await acquireLease(em, name, holder, { ttlMs: LEASE_TTL_MS, waitMs: LEASE_WAIT_MS }))) {
    throw ApplicationFailure.retryable(
      `another refund or credit note of ${stripeInvoiceId} is in progress`,
      FAILURE.invoiceBusy,
    );
  }
  try {
    return await fn();
  } finally {
    await releaseLease(em, name, holder);
  }
}
