import type Stripe from 'stripe';
import type { Emulator } from '../emulator';
import { invalidParam, missingParam } from '../errors';
import type { Params } from '../form';
import { paginate } from '../list';
import { objectList, optInt, optObject, optString, reqString } from '../params';
import type { Router } from '../router';
import type { ChargeRec, CreditNoteRec, DisputeRec, InvoiceRec, PaymentIntentRec, RefundRec } from '../types';
import {
  closeDispute,
  createCreditNote,
  createRefund,
  previewCreditNote,
  type CreditNoteSpec,
} from '../billing/refunds';

const REFUND_REASONS = ['duplicate', 'fraudulent', 'requested_by_customer'];
const CREDIT_NOTE_REASONS = ['duplicate', 'fraudulent', 'order_change', 'product_unsatisfactory'];

function metadataOf(p: Params): Stripe.Metadata {
  const m = optObject(p, 'metadata') ?? {};
  const out: Stripe.Metadata = {};
  for (const [k, v] of Object.entries(m)) {
    if (typeof v !== 'string') throw invalidParam(`metadata[${k}]`);
    out[k] = v;
  }
  return out;
}

function creditNoteSpec(p: Params): CreditNoteSpec {
  const reason = optString(p, 'reason');
  if (reason && !CREDIT_NOTE_REASONS.includes(reason)) throw invalidParam('reason');
  const lines = objectList(p, 'lines').map((l, i) => {
    const type = optString(l, 'type');
    if (type !== 'custom_line_item' && type !== 'invoice_line_item') throw invalidParam(`lines[${i}][type]`);
    return {
      type,
      amount: optInt(l, 'amount'),
      unit_amount: optInt(l, 'unit_amount'),
      quantity: optInt(l, 'quantity'),
      description: optString(l, 'description'),
      invoice_line_item: optString(l, 'invoice_line_item'),
    } as NonNullable<CreditNoteSpec['lines']>[number];
  });
  return {
    amount: optInt(p, 'amount'),
    lines: lines.length ? lines : undefined,
    reason: reason as CreditNoteSpec['reason'],
    memo: optString(p, 'memo'),
    creditAmount: optInt(p, 'credit_amount'),
    refundAmount: optInt(p, 'refund_amount'),
    outOfBandAmount: optInt(p, 'out_of_band_amount'),
    metadata: metadataOf(p),
  };
}

/** The invoice payment Stripe (since 2025) lists for an invoice paid through its payment intent. */
function invoicePaymentOf(emu: Emulator, inv: InvoiceRec) {
  const pi = inv.payment_intent
    ? (emu.store.find(inv.payment_intent) as PaymentIntentRec | undefined)
    : undefined;
  if (!pi) return null;
  return {
    id: `inpay_${inv.id.slice(3)}`,
    object: 'invoice_payment',
    amount_paid: inv.status === 'paid' ? inv.amount_paid : null,
    amount_requested: pi.amount,
    created: pi.created,
    currency: inv.currency,
    invoice: inv.id,
    is_default: true,
    livemode: false,
    payment: { type: 'payment_intent', payment_intent: pi.id },
    status: inv.status === 'paid' ? 'paid' : inv.status === 'void' ? 'canceled' : 'open',
    status_transitions: {
      canceled_at: inv.status_transitions.voided_at,
      paid_at: inv.status_transitions.paid_at,
    },
  };
}

/** Refunds, credit notes, disputes and invoice payments. */
export function registerRefunds(router: Router, emu: Emulator): void {
  router.post('/v1/refunds', ({ params }) => {
    const chargeId = optString(params, 'charge');
    const piId = optString(params, 'payment_intent');
    if (!chargeId && !piId) throw missingParam('charge');
    let charge: ChargeRec;
    if (chargeId) charge = emu.store.get<ChargeRec>('charge', chargeId, 'charge');
    else {
      const pi = emu.store.get<PaymentIntentRec>('payment_intent', piId ?? '', 'payment_intent');
      if (!pi.latest_charge)
        throw invalidParam('payment_intent', `PaymentIntent ${pi.id} has no charge to refund.`);
      charge = emu.store.get<ChargeRec>('charge', pi.latest_charge);
    }
    const reason = optString(params, 'reason');
    if (reason && !REFUND_REASONS.includes(reason)) throw invalidParam('reason');
    const refund = createRefund(emu, charge, {
      amount: optInt(params, 'amount'),
      reason: reason as Stripe.RefundCreateParams.Reason | undefined,
      metadata: metadataOf(params),
    });
    return emu.present(refund);
  });
  router.get('/v1/refunds', ({ params }) => {
    const charge = optString(params, 'charge');
    const pi = optString(params, 'payment_intent');
    const items = emu.store
      .all<RefundRec>('refund')
      .filter((r) => (!charge || r.charge === charge) && (!pi || r.payment_intent === pi));
    const page = paginate(items, params, '/v1/refunds');
    return { ...page, data: page.data.map((r) => emu.present(r)) };
  });
  router.get('/v1/refunds/:id', ({ pathParams }) =>
    emu.present(emu.store.get('refund', pathParams['id'] ?? '')),
  );

  router.post('/v1/credit_notes', ({ params }) => {
    const inv = emu.store.get<InvoiceRec>('invoice', reqString(params, 'invoice'), 'invoice');
    return emu.present(createCreditNote(emu, inv, creditNoteSpec(params)));
  });
  router.get('/v1/credit_notes/preview', ({ params }) => {
    const inv = emu.store.get<InvoiceRec>('invoice', reqString(params, 'invoice'), 'invoice');
    const cn = previewCreditNote(emu, inv, creditNoteSpec(params));
    return { ...emu.present(cn), id: `cnpreview_${cn.id.slice(3)}` };
  });
  router.get('/v1/credit_notes', ({ params }) => {
    const invoice = optString(params, 'invoice');
    const customer = optString(params, 'customer');
    const items = emu.store
      .all<CreditNoteRec>('credit_note')
      .filter((c) => (!invoice || c.invoice === invoice) && (!customer || c.customer === customer));
    const page = paginate(items, params, '/v1/credit_notes');
    return { ...page, data: page.data.map((c) => emu.present(c)) };
  });
  router.get('/v1/credit_notes/:id', ({ pathParams }) =>
    emu.present(emu.store.get('credit_note', pathParams['id'] ?? '')),
  );

  router.get('/v1/disputes', ({ params }) => {
    const charge = optString(params, 'charge');
    const items = emu.store.all<DisputeRec>('dispute').filter((d) => !charge || d.charge === charge);
    const page = paginate(items, params, '/v1/disputes');
    return { ...page, data: page.data.map((d) => emu.present(d)) };
  });
  router.get('/v1/disputes/:id', ({ pathParams }) =>
    emu.present(emu.store.get('dispute', pathParams['id'] ?? '')),
  );
  // Closing a dispute through the API accepts it: the merchant loses it.
  router.post('/v1/disputes/:id/close', ({ pathParams }) =>
    emu.present(closeDispute(emu, emu.store.get<DisputeRec>('dispute', pathParams['id'] ?? ''), 'lost')),
  );

  router.get('/v1/invoice_payments', ({ params }) => {
    const invoice = optString(params, 'invoice');
    const payment = optObject(params, 'payment');
    const pi = payment ? optString(payment, 'payment_intent') : undefined;
    const items = emu.store
      .all<InvoiceRec>('invoice')
      .filter((i) => (!invoice || i.id === invoice) && (!pi || i.payment_intent === pi))
      .map((i) => invoicePaymentOf(emu, i))
      .filter((p): p is NonNullable<typeof p> => p !== null);
    return paginate(items, params, '/v1/invoice_payments');
  });
}
