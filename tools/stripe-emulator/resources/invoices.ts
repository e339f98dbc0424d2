import type { Emulator } from '../emulator';
import { invalidParam, invalidRequest, missingParam } from '../errors';
import { newId } from '../ids';
import { paginate } from '../list';
import { mergeMetadata, optBool, optInt, optObject, optString, reqString } from '../params';
import type { Params } from '../form';
import type { Router } from '../router';
import type {
  ChargeRec,
  CustomerRec,
  InvoiceItemRec,
  InvoiceRec,
  PaymentIntentRec,
  PriceRec,
  SubscriptionRec,
} from '../types';
import {
  attemptInvoicePayment,
  completeAuthentication,
  createInvoice,
  finalizeInvoice,
  markUncollectible,
  voidInvoice,
} from '../billing/invoices';
import { resolvePaymentMethod } from '../billing/payment-methods';
import { cardForToken } from '../cards';
import { confirmPayment, newPaymentIntent } from '../billing/payments';

export function registerInvoices(router: Router, emu: Emulator): void {
  const invoice = (id: string | undefined) => emu.store.get<InvoiceRec>('invoice', id ?? '');

  router.get('/v1/invoices', ({ params }) => {
    const customer = optString(params, 'customer');
    const subscription = optString(params, 'subscription');
    const status = optString(params, 'status');
    const created = createdRange(params);
    const items = emu.store
      .all<InvoiceRec>('invoice')
      .filter(
        (i) =>
          (!customer || i.customer === customer) &&
          (!subscription || i.subscription === subscription) &&
          (!status || i.status === status) &&
          created(i.created),
      );
    const page = paginate(items, params, '/v1/invoices');
    return { ...page, data: page.data.map((i) => emu.present(i)) };
  });
  router.post('/v1/invoices', ({ params }) => {
    const customer = emu.store.get<CustomerRec>('customer', reqString(params, 'customer'), 'customer');
    const subId = optString(params, 'subscription');
    const sub = subId ? emu.store.get<SubscriptionRec>('subscription', subId, 'subscription') : null;
    const pending = emu.store
      .all<InvoiceItemRec>('invoiceitem')
      .filter((ii) => ii.invoice === null && ii.customer === customer.id);
    const now = emu.nowFor(customer.id);
    const inv = createInvoice(emu, {
      customer,
      subscription: sub,
      billingReason: 'manual',
      lines: [],
      includePending: (optString(params, 'pending_invoice_items_behavior') ?? 'exclude') === 'include',
      currency: optString(params, 'currency') ?? pending[0]?.currency ?? sub?.currency ?? 'usd',
      periodStart: now,
      periodEnd: now,
      collectionMethod:
        optString(params, 'collection_method') === 'send_invoice' ? 'send_invoice' : 'charge_automatically',
      daysUntilDue: optInt(params, 'days_until_due') ?? null,
      description: optString(params, 'description') || null,
      autoAdvance: optBool(params, 'auto_advance') ?? false,
    });
    inv.metadata = mergeMetadata({}, params);
    return emu.present(inv);
  });
  router.get('/v1/invoices/:id', ({ pathParams }) => emu.present(invoice(pathParams['id'])));
  router.get('/v1/invoices/:id/lines', ({ pathParams, params }) => {
    const inv = invoice(pathParams['id']);
    return paginate([...inv.lines], params, `/v1/invoices/${inv.id}/lines`);
  });
  router.post('/v1/invoices/:id', ({ pathParams, params }) => {
    const inv = invoice(pathParams['id']);
    inv.metadata = mergeMetadata(inv.metadata ?? {}, params);
    const description = optString(params, 'description');
    if (description !== undefined) inv.description = description || null;
    emu.emit('invoice.updated', inv);
    return emu.present(inv);
  });
  router.post('/v1/invoices/:id/finalize', ({ pathParams }) =>
    emu.present(finalizeInvoice(emu, invoice(pathParams['id']))),
  );
  router.post('/v1/invoices/:id/pay', ({ pathParams, params }) => {
    const inv = invoice(pathParams['id']);
    if (optBool(params, 'paid_out_of_band')) {
      if (inv.status === 'draft') finalizeInvoice(emu, inv);
      if (inv.status !== 'open')
        throw invalidRequest('Invoice is already paid.', undefined, 'invoice_not_editable');
      inv.status = 'paid';
      inv.paid = true;
      inv.amount_paid = inv.amount_due;
      inv.amount_remaining = 0;
      inv.status_transitions.paid_at = emu.nowFor(inv.customer);
      emu.emit('invoice.paid', inv);
      return emu.present(inv);
    }
    if (inv.status === 'paid')
      throw invalidRequest('Invoice is already paid', undefined, 'invoice_already_paid' as string);
    const pmRef = optString(params, 'payment_method');
    const pm = pmRef ? resolvePaymentMethod(emu, pmRef) : null;
    // Stripe charges an invoice only to a method of its customer's (a test card's token makes one anew).
    if (pm && pmRef && !cardForToken(pmRef) && pm.customer !== inv.customer)
      throw invalidRequest(
        `The PaymentMethod ${pm.id} does not belong to the Customer ${inv.customer}.`,
        'payment_method',
        'payment_method_unexpected_state',
      );
    attemptInvoicePayment(emu, inv, { paymentMethod: pm?.id, raise: true });
    return emu.present(inv);
  });
  router.post('/v1/invoices/:id/void', ({ pathParams }) =>
    emu.present(voidInvoice(emu, invoice(pathParams['id']))),
  );
  router.post('/v1/invoices/:id/mark_uncollectible', ({ pathParams }) =>
    emu.present(markUncollectible(emu, invoice(pathParams['id']))),
  );
  router.delete('/v1/invoices/:id', ({ pathParams }) => {
    const inv = invoice(pathParams['id']);
    if (inv.status !== 'draft')
      throw invalidRequest('You can only delete draft invoices.', undefined, 'invoice_not_editable');
    emu.store.remove(inv.id);
    emu.emit('invoice.deleted', inv);
    return { id: inv.id, object: 'invoice', deleted: true };
  });

  router.post('/v1/invoiceitems', ({ params }) => {
    const customer = emu.store.get<CustomerRec>('customer', reqString(params, 'customer'), 'customer');
    const priceId = optString(params, 'price');
    const price = priceId ? emu.store.get<PriceRec>('price', priceId, 'price') : null;
    const quantity = optInt(params, 'quantity') ?? 1;
    const amount = optInt(params, 'amount') ?? (price?.unit_amount ?? 0) * quantity;
    const now = emu.nowFor(customer.id);
    const ii = emu.store.put<InvoiceItemRec>({
      id: newId('ii', 24),
      object: 'invoiceitem',
      created: now,
      customer: customer.id,
      amount,
      currency: optString(params, 'currency') ?? price?.currency ?? 'usd',
      description: optString(params, 'description') || null,
      invoice: optString(params, 'invoice') || null,
      livemode: false,
      metadata: mergeMetadata({}, params),
      period: itemPeriod(params, now),
      price: price?.id ?? null,
      proration: false,
      quantity,
      subscription: optString(params, 'subscription') || null,
      subscription_item: null,
    });
    if (ii.invoice) {
      const inv = invoice(ii.invoice);
      if (inv.status !== 'draft')
        throw invalidRequest('Invoice is not a draft.', 'invoice', 'invoice_not_editable');
      inv.lines.push({
        id: newId('il', 24),
        object: 'line_item',
        amount,
        currency: ii.currency,
        description: ii.description,
        discountable: true,
        invoice: inv.id,
        livemode: false,
        metadata: ii.metadata,
        period: ii.period,
        quantity,
        subtotal: amount,
        subscription: ii.subscription,
        proration: false,
        price: ii.price,
        pricing: null,
        parent: {
          type: 'invoice_item_details',
          invoice_item_details: { invoice_item: ii.id, proration: false, subscription: ii.subscription },
          subscription_item_details: null,
        },
      });
      inv.subtotal += amount;
      inv.total += amount;
      inv.amount_due = Math.max(0, inv.total);
      inv.amount_remaining = inv.amount_due;
    }
    emu.emit('invoiceitem.created', ii);
    return emu.present(ii);
  });
  router.get('/v1/invoiceitems', ({ params }) => {
    const customer = optString(params, 'customer');
    const pending = optBool(params, 'pending');
    const items = emu.store
      .all<InvoiceItemRec>('invoiceitem')
      .filter(
        (ii) =>
          (!customer || ii.customer === customer) &&
          (pending === undefined || (ii.invoice === null) === pending),
      );
    const page = paginate(items, params, '/v1/invoiceitems');
    return { ...page, data: page.data.map((ii) => emu.present(ii)) };
  });
  router.get('/v1/invoiceitems/:id', ({ pathParams }) =>
    emu.present(emu.store.get('invoiceitem', pathParams['id'] ?? '')),
  );

  router.get('/v1/charges', ({ params }) => {
    const customer = optString(params, 'customer');
    const pi = optString(params, 'payment_intent');
    const items = emu.store
      .all<ChargeRec>('charge')
      .filter((c) => (!customer || c.customer === customer) && (!pi || c.payment_intent === pi));
    const page = paginate(items, params, '/v1/charges');
    return { ...page, data: page.data.map((c) => emu.present(c)) };
  });
  router.get('/v1/charges/:id', ({ pathParams }) =>
    emu.present(emu.store.get('charge', pathParams['id'] ?? '')),
  );
  router.get('/v1/payment_intents', ({ params }) => {
    const customer = optString(params, 'customer');
    const items = emu.store
      .all<PaymentIntentRec>('payment_intent')
      .filter((p) => !customer || p.customer === customer);
    const page = paginate(items, params, '/v1/payment_intents');
    return { ...page, data: page.data.map((p) => emu.present(p)) };
  });
  router.get('/v1/payment_intents/:id', ({ pathParams }) =>
    emu.present(emu.store.get('payment_intent', pathParams['id'] ?? '')),
  );
  /**
   * A payment intent of its own: with `confirm`, the card is charged at once (`off_session` when nobody is
   * there to authenticate, as for an automatic top-up).
   */
  router.post('/v1/payment_intents', ({ params }) => {
    const amount = optInt(params, 'amount');
    if (amount === undefined) throw missingParam('amount');
    if (amount < 50) throw invalidParam('amount', 'Amount must be at least $0.50 usd');
    const customerId = optString(params, 'customer');
    const customer = customerId ? emu.store.get<CustomerRec>('customer', customerId, 'customer') : null;
    const pmRef = optString(params, 'payment_method');
    const pi = newPaymentIntent(emu, {
      amount,
      currency: reqString(params, 'currency').toLowerCase(),
      customer,
      description: optString(params, 'description') ?? null,
      metadata: mergeMetadata({}, params),
    });
    if (!optBool(params, 'confirm')) return emu.present(pi);
    if (!pmRef) throw missingParam('payment_method');
    const pm = resolvePaymentMethod(emu, pmRef);
    return emu.present(confirmPayment(emu, pi, pm, { offSession: optBool(params, 'off_session') === true }));
  });
  /** Confirming an invoice's payment intent retries its invoice with the given (or current) method. */
  router.post('/v1/payment_intents/:id/confirm', ({ pathParams, params }) => {
    const pi = emu.store.get<PaymentIntentRec>('payment_intent', pathParams['id'] ?? '');
    if (pi.status === 'requires_action') return emu.present(completeAuthentication(emu, pi, true));
    const pmRef = optString(params, 'payment_method');
    const pm = pmRef ? resolvePaymentMethod(emu, pmRef) : null;
    if (!pi.invoice) {
      const card = pm ?? (pi.payment_method ? resolvePaymentMethod(emu, pi.payment_method) : null);
      if (!card) throw missingParam('payment_method');
      return emu.present(
        confirmPayment(emu, pi, card, { offSession: optBool(params, 'off_session') === true }),
      );
    }
    attemptInvoicePayment(emu, invoice(pi.invoice), {
      paymentMethod: pm?.id ?? pi.payment_method ?? undefined,
      raise: true,
    });
    return emu.present(pi);
  });
}

/** `created[gt|gte|lt|lte]` of a list, as Stripe filters by the object's creation time. */
function createdRange(params: Params): (created: number) => boolean {
  const c = optObject(params, 'created');
  if (!c) return () => true;
  const bound = (k: string) => optInt(c, k);
  const [gt, gte, lt, lte] = [bound('gt'), bound('gte'), bound('lt'), bound('lte')];
  return (t) =>
    (gt === undefined || t > gt) &&
    (gte === undefined || t >= gte) &&
    (lt === undefined || t < lt) &&
    (lte === undefined || t <= lte);
}

/** An invoice item's service period: `period[start]` and `period[end]` together, else now. */
function itemPeriod(params: Params, now: number): { start: number; end: number } {
  const p = optObject(params, 'period');
  if (!p) return { start: now, end: now };
  const start = optInt(p, 'start');
  const end = optInt(p, 'end');
  if (start === undefined) throw missingParam('period[start]');
  if (end === undefined) throw missingParam('period[end]');
  if (end < start) throw invalidParam('period[end]', 'The period end must be after its start.');
  return { start, end };
}
