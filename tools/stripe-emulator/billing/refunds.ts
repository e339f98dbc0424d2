import { moveBalance } from './balance';
import type Stripe from 'stripe';
import type { Emulator } from '../emulator';
import { invalidParam, invalidRequest } from '../errors';
import { newId } from '../ids';
import type { ChargeRec, CreditNoteRec, CustomerRec, DisputeRec, InvoiceRec, RefundRec } from '../types';

const usd = (cents: number) => `$${(cents / 100).toFixed(2)}`;

/**
 * Refunds part or all of what a charge has not yet refunded, with Stripe's refusals: a charge that failed,
 * one already refunded in full, one under an open dispute, or an amount above what is left.
 */
export function createRefund(
  emu: Emulator,
  charge: ChargeRec,
  opts: { amount?: number; reason?: Stripe.RefundCreateParams.Reason; metadata?: Stripe.Metadata },
): RefundRec {
  if (charge.status !== 'succeeded') {
    throw invalidRequest(`Charge ${charge.id} has not succeeded; it cannot be refunded.`, 'charge');
  }
  const disputes = emu.store.all<DisputeRec>('dispute').filter((d) => d.charge === charge.id);
  if (disputes.some((d) => d.status !== 'won' && d.status !== 'lost')) {
    throw invalidRequest(
      `Charge ${charge.id} has been charged back; cannot issue a refund.`,
      undefined,
      'charge_disputed',
    );
  }
  const left = charge.amount - charge.amount_refunded;
  if (left <= 0) {
    throw invalidRequest(
      `Charge ${charge.id} has already been refunded.`,
      undefined,
      'charge_already_refunded',
    );
  }
  const amount = opts.amount ?? left;
  if (amount < 1) throw invalidParam('amount', 'Refund amount must be a positive integer.');
  if (amount > left) {
    throw invalidRequest(
      `Refund amount (${usd(amount)}) is greater than unrefunded amount on charge (${usd(left)})`,
      'amount',
      'amount_too_large',
    );
  }
  const refund = emu.store.put<RefundRec>({
    id: newId('re', 24),
    object: 'refund',
    amount,
    charge: charge.id,
    created: emu.nowFor(charge.customer),
    currency: charge.currency,
    metadata: opts.metadata ?? {},
    payment_intent: charge.payment_intent,
    reason: opts.reason ?? null,
    status: 'succeeded',
  });
  const previous = { amount_refunded: charge.amount_refunded, refunded: charge.refunded };
  charge.amount_refunded += amount;
  charge.refunded = charge.amount_refunded === charge.amount;
  emu.emit('refund.created', refund);
  emu.emit('charge.refunded', charge, previous);
  return refund;
}

export interface CreditNoteSpec {
  amount?: number;
  lines?: {
    type: 'custom_line_item' | 'invoice_line_item';
    amount?: number;
    unit_amount?: number;
    quantity?: number;
    description?: string;
    invoice_line_item?: string;
  }[];
  reason?: Stripe.CreditNoteCreateParams.Reason;
  memo?: string;
  creditAmount?: number;
  refundAmount?: number;
  outOfBandAmount?: number;
  metadata?: Stripe.Metadata;
}

function lineAmount(inv: InvoiceRec, l: NonNullable<CreditNoteSpec['lines']>[number]): number {
  if (l.type === 'invoice_line_item') {
    const line = inv.lines.find((x) => x.id === l.invoice_line_item);
    if (!line) throw invalidParam('lines', `No such invoice line item: '${l.invoice_line_item ?? ''}'`);
    return l.amount ?? line.amount;
  }
  if (l.unit_amount === undefined) throw invalidParam('lines', 'A custom line item needs unit_amount.');
  return l.unit_amount * (l.quantity ?? 1);
}

/** What a credit note would be, without issuing it (`GET /v1/credit_notes/preview` and the checks of create). */
export function previewCreditNote(emu: Emulator, inv: InvoiceRec, spec: CreditNoteSpec): CreditNoteRec {
  if (inv.status !== 'paid' && inv.status !== 'open') {
    throw invalidRequest(
      `Credit notes can only be issued for open or paid invoices; this invoice is ${inv.status ?? 'draft'}.`,
      'invoice',
    );
  }
  const lines = (spec.lines ?? []).map((l) => ({
    id: newId('cnli', 24),
    object: 'credit_note_line_item' as const,
    amount: lineAmount(inv, l),
    description: l.description ?? null,
    quantity: l.quantity ?? null,
    type: l.type,
    invoice_line_item: l.invoice_line_item ?? null,
    unit_amount: l.unit_amount ?? null,
  }));
  const amount = spec.amount ?? lines.reduce((s, l) => s + l.amount, 0);
  if (spec.amount === undefined && lines.length === 0) {
    throw invalidRequest('One of `amount`, `lines`, or `shipping_cost` must be provided.', 'amount');
  }
  if (amount < 1) throw invalidParam('amount', 'The credit note amount must be positive.');
  const postPayment = inv.status === 'paid';
  const credited = postPayment
    ? (inv.post_payment_credit_notes_amount ?? 0)
    : (inv.pre_payment_credit_notes_amount ?? 0);
  const limit = postPayment ? inv.amount_paid - credited : inv.amount_remaining;
  if (amount > limit) {
    throw invalidRequest(
      `The credit note amount (${usd(amount)}) is greater than the amount that can still be credited on this invoice (${usd(limit)}).`,
      'amount',
    );
  }
  let creditAmount = spec.creditAmount ?? 0;
  const refundAmount = spec.refundAmount ?? 0;
  const outOfBand = spec.outOfBandAmount ?? 0;
  if (postPayment) {
    // Nothing said: the whole amount goes to the customer's credit balance.
    if (
      spec.creditAmount === undefined &&
      spec.refundAmount === undefined &&
      spec.outOfBandAmount === undefined
    ) {
      creditAmount = amount;
    }
    if (creditAmount + refundAmount + outOfBand !== amount) {
      throw invalidRequest(
        `The sum of credit amount, refund amount and out of band amount (${usd(creditAmount + refundAmount + outOfBand)}) must equal the credit note amount (${usd(amount)}).`,
        'amount',
      );
    }
  } else if (refundAmount || creditAmount || outOfBand) {
    throw invalidRequest('An open invoice is credited before payment: it takes no refund or credit amounts.');
  }
  const now = emu.nowFor(inv.customer);
  return {
    id: newId('cn', 24),
    object: 'credit_note',
    amount,
    created: now,
    credit_amount: creditAmount,
    currency: inv.currency,
    customer: inv.customer,
    effective_at: now,
    invoice: inv.id,
    lines,
    livemode: false,
    memo: spec.memo ?? null,
    metadata: spec.metadata ?? {},
    number: '',
    out_of_band_amount: outOfBand || null,
    reason: spec.reason ?? null,
    refund_amount: refundAmount,
    status: 'issued',
    subtotal: amount,
    total: amount,
    type: postPayment ? 'post_payment' : 'pre_payment',
    voided_at: null,
    _refunds: [],
  };
}

/**
 * Issues a credit note: after payment it credits the customer's balance (which pays their next invoices)
 * and/or refunds the invoice's charge; before payment it lowers what the invoice still asks for.
 */
export function createCreditNote(emu: Emulator, inv: InvoiceRec, spec: CreditNoteSpec): CreditNoteRec {
  const cn = previewCreditNote(emu, inv, spec);
  const count = emu.store.all<CreditNoteRec>('credit_note').filter((c) => c.invoice === inv.id).length;
  cn.number = `${inv.number ?? inv.id}-CN-${String(count + 1).padStart(2, '0')}`;
  if (cn.refund_amount > 0) {
    const charge = inv.charge ? (emu.store.find(inv.charge) as ChargeRec | undefined) : undefined;
    if (!charge) throw invalidRequest('This invoice has no charge to refund.', 'refund_amount');
    cn._refunds.push(createRefund(emu, charge, { amount: cn.refund_amount }).id);
  }
  const customer = emu.store.get<CustomerRec>('customer', inv.customer);
  if (cn.credit_amount > 0)
    moveBalance(emu, customer, -cn.credit_amount, 'credit_note', {
      currency: cn.currency,
      invoice: inv.id,
      creditNote: cn.id,
    });
  const previous: Record<string, unknown> = {};
  if (cn.type === 'post_payment') {
    previous['post_payment_credit_notes_amount'] = inv.post_payment_credit_notes_amount ?? 0;
    inv.post_payment_credit_notes_amount = (inv.post_payment_credit_notes_amount ?? 0) + cn.amount;
  } else {
    previous['pre_payment_credit_notes_amount'] = inv.pre_payment_credit_notes_amount ?? 0;
    previous['amount_remaining'] = inv.amount_remaining;
    inv.pre_payment_credit_notes_amount = (inv.pre_payment_credit_notes_amount ?? 0) + cn.amount;
    inv.amount_remaining -= cn.amount;
  }
  emu.store.put(cn);
  emu.emit('credit_note.created', cn);
  emu.emit('invoice.updated', inv, previous);
  if (cn.credit_amount > 0)
    emu.emit('customer.updated', customer, { balance: customer.balance + cn.credit_amount });
  return cn;
}

/** The cardholder disputes a charge (a test helper: Stripe opens disputes from the card network). */
export function openDispute(
  emu: Emulator,
  charge: ChargeRec,
  opts: { amount?: number; reason?: string } = {},
): DisputeRec {
  if (charge.status !== 'succeeded') throw invalidRequest(`Charge ${charge.id} cannot be disputed.`);
  const dispute = emu.store.put<DisputeRec>({
    id: newId('dp', 24),
    object: 'dispute',
    amount: opts.amount ?? charge.amount - charge.amount_refunded,
    charge: charge.id,
    created: emu.nowFor(charge.customer),
    currency: charge.currency,
    is_charge_refundable: false,
    livemode: false,
    metadata: {},
    payment_intent: charge.payment_intent,
    reason: opts.reason ?? 'fraudulent',
    status: 'needs_response',
  });
  charge.disputed = true;
  emu.emit('charge.dispute.created', dispute);
  return dispute;
}

/** Ends a dispute: `lost` is also what closing it through the API (accepting it) does. */
export function closeDispute(emu: Emulator, dispute: DisputeRec, outcome: 'won' | 'lost'): DisputeRec {
  if (dispute.status === 'won' || dispute.status === 'lost') {
    throw invalidRequest(`Dispute ${dispute.id} is already closed.`);
  }
  const previous = { status: dispute.status };
  dispute.status = outcome;
  emu.emit('charge.dispute.closed', dispute, previous);
  return dispute;
}
