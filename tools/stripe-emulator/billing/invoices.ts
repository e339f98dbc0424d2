import { taxIdsOf, taxLines } from './tax';
import type Stripe from 'stripe';
import { moveBalance } from './balance';
import type { Emulator } from '../emulator';
import { invalidRequest, StripeApiError } from '../errors';
import { newId } from '../ids';
import { applyDiscount } from './discounts';
import type {
  ChargeRec,
  CustomerRec,
  InvoiceItemRec,
  InvoiceLineRec,
  InvoiceRec,
  PaymentIntentRec,
  PaymentMethodRec,
  SubscriptionRec,
} from '../types';

export interface LineSpec {
  amount: number;
  description: string;
  quantity: number;
  price: string | null;
  proration: boolean;
  period: { start: number; end: number };
  subscriptionItem: string | null;
  invoiceItem: string | null;
}

export function pendingItemsFor(
  emu: Emulator,
  customer: string,
  subscription: string | null,
): InvoiceItemRec[] {
  return emu.store
    .all<InvoiceItemRec>('invoiceitem')
    .filter(
      (ii) =>
        ii.invoice === null &&
        ii.customer === customer &&
        (!subscription || ii.subscription === subscription),
    )
    .reverse();
}

/** The line a pending invoice item becomes on the next invoice (or its preview). */
export function pendingItemLine(emu: Emulator, ii: InvoiceItemRec): InvoiceLineRec {
  return lineFrom(
    emu,
    {
      amount: ii.amount,
      description: ii.description ?? '',
      quantity: ii.quantity,
      price: ii.price,
      proration: ii.proration,
      period: ii.period,
      subscriptionItem: ii.subscription_item,
      invoiceItem: ii.id,
    },
    ii.currency,
    ii.subscription,
  );
}

export function lineFrom(
  emu: Emulator,
  spec: LineSpec,
  currency: string,
  subscription: string | null,
): InvoiceLineRec {
  const price = spec.price ? emu.price(spec.price) : null;
  return {
    id: newId('il', 24),
    object: 'line_item',
    amount: spec.amount,
    currency,
    description: spec.description,
    // Prorations are discountable too: a plan change under a discount nets out discounted, as in Stripe.
    discountable: true,
    invoice: null,
    livemode: false,
    metadata: {},
    period: spec.period,
    quantity: spec.quantity,
    subtotal: spec.amount,
    subscription,
    proration: spec.proration,
    price: spec.price,
    pricing: price
      ? {
          type: 'price_details',
          price_details: { price: price.id, product: price.product },
          unit_amount_decimal: price.unit_amount_decimal,
        }
      : null,
    parent: spec.invoiceItem
      ? {
          type: 'invoice_item_details',
          invoice_item_details: { invoice_item: spec.invoiceItem, proration: spec.proration, subscription },
          subscription_item_details: null,
        }
      : subscription && spec.subscriptionItem
        ? {
            type: 'subscription_item_details',
            subscription_item_details: {
              subscription,
              subscription_item: spec.subscriptionItem,
              proration: spec.proration,
            },
            invoice_item_details: null,
          }
        : null,
  };
}

/**
 * What an invoice's lines come to at `at`: the subscription's discount on them, Stripe Tax on what is left
 * of each (added on top, exclusive), and what the customer's credit balance (negative, e.g. from a credit
 * note) pays of the total, as in Stripe. Writes the discounts and taxes onto the lines; a `preview` spends
 * no `once` discount and the caller leaves the balance as it is, so a preview and the invoice then issued
 * are drawn by the same rules.
 */
export function priceLines(
  emu: Emulator,
  customer: CustomerRec,
  subscription: SubscriptionRec | null,
  lines: InvoiceLineRec[],
  currency: string,
  at: number,
  preview: boolean,
) {
  const subtotal = lines.reduce((sum, l) => sum + l.amount, 0);
  const discount = applyDiscount(emu, subscription, lines, currency, at, preview);
  const taxed = subscription?.automatic_tax?.enabled ? taxLines(emu, customer, lines) : null;
  const totalExcludingTax = subtotal - discount.total;
  const total = totalExcludingTax + (taxed?.total ?? 0);
  const applied = customer.balance < 0 ? Math.min(-customer.balance, Math.max(0, total)) : 0;
  const amountDue = Math.max(0, total) - applied;
  return { subtotal, discount, taxed, totalExcludingTax, total, applied, amountDue };
}

/** What an invoice with Stripe Tax adds to its fields: the taxes, the total before them and what decided them. */
export function taxFieldsOf(
  emu: Emulator,
  customer: CustomerRec,
  priced: Pick<ReturnType<typeof priceLines>, 'taxed' | 'totalExcludingTax'>,
) {
  if (!priced.taxed) return {};
  return {
    automatic_tax: { enabled: true, status: 'complete' as const, disabled_reason: null, liability: null },
    total_taxes: priced.taxed.totalTaxes,
    total_excluding_tax: priced.totalExcludingTax,
    customer_address: customer.address ?? null,
    customer_tax_ids: taxIdsOf(emu, customer).map((t) => ({ type: t.type, value: t.value })),
  };
}

export function createInvoice(
  emu: Emulator,
  opts: {
    customer: CustomerRec;
    subscription: SubscriptionRec | null;
    billingReason: Stripe.Invoice.BillingReason;
    lines: LineSpec[];
    includePending: boolean;
    currency: string;
    periodStart: number;
    periodEnd: number;
    collectionMethod?: Stripe.Invoice.CollectionMethod;
    daysUntilDue?: number | null;
    description?: string | null;
    autoAdvance?: boolean;
  },
): InvoiceRec {
  const { customer, subscription } = opts;
  const now = emu.nowFor(customer.id);
  const id = newId('in', 24);
  const lines = opts.lines.map((l) => lineFrom(emu, l, opts.currency, subscription?.id ?? null));
  if (opts.includePending) {
    for (const ii of pendingItemsFor(emu, customer.id, subscription?.id ?? null)) {
      ii.invoice = id;
      lines.push(pendingItemLine(emu, ii));
    }
  }
  for (const l of lines) l.invoice = id;
  // The customer's credit balance is drawn when the invoice is finalized, as Stripe does.
  const { subtotal, discount, taxed, totalExcludingTax, total } = priceLines(
    emu,
    customer,
    subscription,
    lines,
    opts.currency,
    now,
    false,
  );
  const amountDue = Math.max(0, total);
  const collectionMethod = opts.collectionMethod ?? subscription?.collection_method ?? 'charge_automatically';
  const invoice = emu.store.put<InvoiceRec>({
    id,
    object: 'invoice',
    amount_due: amountDue,
    amount_paid: 0,
    amount_remaining: amountDue,
    attempt_count: 0,
    attempted: false,
    auto_advance: opts.autoAdvance ?? true,
    billing_reason: opts.billingReason,
    charge: null,
    collection_method: collectionMethod,
    created: now,
    currency: opts.currency,
    customer: customer.id,
    customer_email: customer.email,
    customer_name: customer.name ?? null,
    default_payment_method: null,
    description: opts.description ?? null,
    due_date:
      collectionMethod === 'send_invoice'
        ? now + (opts.daysUntilDue ?? subscription?.days_until_due ?? 30) * 86_400
        : null,
    hosted_invoice_url: null,
    invoice_pdf: null,
    lines,
    livemode: false,
    metadata: {},
    next_payment_attempt: null,
    number: null,
    paid: false,
    parent: subscription
      ? {
          type: 'subscription_details',
          subscription_details: { subscription: subscription.id, metadata: subscription.metadata },
        }
      : null,
    payment_intent: null,
    period_end: opts.periodEnd,
    period_start: opts.periodStart,
    status: 'draft',
    starting_balance: 0,
    ending_balance: null,
    status_transitions: { finalized_at: null, marked_uncollectible_at: null, paid_at: null, voided_at: null },
    subscription: subscription?.id ?? null,
    subtotal,
    test_clock: customer.test_clock,
    total,
    discounts: discount.discounts,
    total_discount_amounts: discount.totalDiscountAmounts,
    ...taxFieldsOf(emu, customer, { taxed, totalExcludingTax }),
  });
  emu.emit('invoice.created', invoice);
  return invoice;
}

function markPaid(emu: Emulator, inv: InvoiceRec, at: number): void {
  inv.status = 'paid';
  inv.paid = true;
  inv.amount_paid = inv.amount_due;
  inv.amount_remaining = 0;
  inv.status_transitions.paid_at = at;
  inv.next_payment_attempt = null;
  emu.emit('invoice.paid', inv);
  emu.emit('invoice.payment_succeeded', inv);
}

/** What the customer's credit balance (negative) pays of the invoice, recorded on both. */
function drawBalance(emu: Emulator, customer: CustomerRec, inv: InvoiceRec): void {
  inv.starting_balance = customer.balance;
  const applied = customer.balance < 0 ? Math.min(-customer.balance, inv.amount_due) : 0;
  if (applied > 0) {
    inv.amount_due -= applied;
    inv.amount_remaining = Math.max(0, inv.amount_remaining - applied);
    moveBalance(emu, customer, applied, 'applied_to_invoice', { currency: inv.currency, invoice: inv.id });
  }
  inv.ending_balance = customer.balance;
}

export function finalizeInvoice(emu: Emulator, inv: InvoiceRec): InvoiceRec {
  if (inv.status !== 'draft') {
    throw invalidRequest(`This invoice is already finalized.`, undefined, 'invoice_not_editable');
  }
  const customer = emu.store.get<CustomerRec>('customer', inv.customer);
  const now = emu.nowFor(customer.id);
  customer._invoiceSeq += 1;
  inv.number = `${customer.invoice_prefix ?? 'INV'}-${String(customer._invoiceSeq).padStart(4, '0')}`;
  inv.status = 'open';
  inv.status_transitions.finalized_at = now;
  drawBalance(emu, customer, inv);
  inv.hosted_invoice_url = `${emu.baseUrl}/invoice/${inv.id}`;
  inv.invoice_pdf = `${emu.baseUrl}/invoice/${inv.id}/pdf`;
  if (inv.collection_method === 'charge_automatically' && inv.amount_due > 0) {
    inv.next_payment_attempt = now;
    const pi = emu.store.put<PaymentIntentRec>({
      id: newId('pi', 24),
      object: 'payment_intent',
      amount: inv.amount_due,
      amount_capturable: 0,
      amount_received: 0,
      capture_method: 'automatic',
      client_secret: null,
      confirmation_method: 'automatic',
      created: now,
      currency: inv.currency,
      customer: customer.id,
      description:
        inv.billing_reason === 'subscription_create' ? 'Subscription creation' : 'Subscription update',
      invoice: inv.id,
      last_payment_error: null,
      latest_charge: null,
      livemode: false,
      metadata: {},
      next_action: null,
      payment_method: null,
      payment_method_types: ['card'],
      status: 'requires_payment_method',
    });
    pi.client_secret = `${pi.id}_secret_${newId('x', 20).slice(2)}`;
    inv.payment_intent = pi.id;
  }
  emu.emit('invoice.finalized', inv);
  if (inv.amount_due === 0) markPaid(emu, inv, now);
  return inv;
}

export function voidInvoice(emu: Emulator, inv: InvoiceRec): InvoiceRec {
  if (inv.status !== 'open' && inv.status !== 'uncollectible') {
    throw invalidRequest(
      `You can only pass in open or uncollectible invoices.`,
      undefined,
      'invoice_not_editable',
    );
  }
  const applied = (inv.ending_balance ?? 0) - (inv.starting_balance ?? 0);
  if (applied > 0) {
    // What the balance paid goes back to it.
    const customer = emu.store.get<CustomerRec>('customer', inv.customer);
    moveBalance(emu, customer, -applied, 'unapplied_from_invoice', {
      currency: inv.currency,
      invoice: inv.id,
    });
  }
  inv.status = 'void';
  inv.amount_remaining = 0;
  inv.next_payment_attempt = null;
  inv.status_transitions.voided_at = emu.nowFor(inv.customer);
  emu.emit('invoice.voided', inv);
  return inv;
}

export function markUncollectible(emu: Emulator, inv: InvoiceRec): InvoiceRec {
  inv.status = 'uncollectible';
  inv.next_payment_attempt = null;
  inv.status_transitions.marked_uncollectible_at = emu.nowFor(inv.customer);
  emu.emit('invoice.marked_uncollectible', inv);
  return inv;
}

export type PaymentOutcome = 'paid' | 'failed' | 'action_required';

function setSubscriptionStatus(emu: Emulator, inv: InvoiceRec, outcome: PaymentOutcome): void {
  if (!inv.subscription) return;
  const sub = emu.store.find(inv.subscription) as SubscriptionRec | undefined;
  if (!sub || sub.latest_invoice !== inv.id) return;
  let next = sub.status;
  if (outcome === 'paid') {
    if (['incomplete', 'past_due', 'unpaid'].includes(sub.status)) next = 'active';
  } else if (sub.status === 'active' || sub.status === 'trialing') {
    next = inv.billing_reason === 'subscription_create' ? 'incomplete' : 'past_due';
  }
  if (next !== sub.status) {
    const previous = { status: sub.status };
    sub.status = next;
    emu.emit('customer.subscription.updated', sub, previous);
  }
}

function paymentMethodFor(emu: Emulator, inv: InvoiceRec, override?: string): PaymentMethodRec | null {
  const sub = inv.subscription
    ? (emu.store.find(inv.subscription) as SubscriptionRec | undefined)
    : undefined;
  const customer = emu.store.get<CustomerRec>('customer', inv.customer);
  const id =
    override ??
    inv.default_payment_method ??
    sub?.default_payment_method ??
    customer.invoice_settings.default_payment_method;
  if (!id) return null;
  const pm = emu.store.get<PaymentMethodRec>('payment_method', id, 'payment_method');
  // A default the customer has since detached (a subscription's stays named on it) charges nothing.
  return override || pm.customer === inv.customer ? pm : null;
}

/** What a charge pays: an invoice, or a payment intent of its own (a credit pack, a top-up). */
export interface ChargeTarget {
  amount: number;
  currency: string;
  customer: string | null;
  invoice: string | null;
}

/** One card charge for a payment intent, succeeded or declined, as the test card decides. */
/** What a charge says of the method that paid it, in the shape of the method's type. */
function chargeDetailsOf(pm: PaymentMethodRec): ChargeRec['payment_method_details'] {
  if (pm.sepa_debit) {
    const d = pm.sepa_debit;
    const sepa = { bank_code: d.bank_code, branch_code: d.branch_code, country: d.country, last4: d.last4 };
    return { type: 'sepa_debit', sepa_debit: { ...sepa, fingerprint: d.fingerprint } };
  }
  if (pm.us_bank_account) return { type: 'us_bank_account', us_bank_account: { ...pm.us_bank_account } };
  if (!pm.card) return null;
  const c = pm.card;
  return {
    type: 'card',
    card: {
      brand: c.brand,
      country: c.country,
      fingerprint: c.fingerprint,
      last4: c.last4,
      exp_month: c.exp_month,
      exp_year: c.exp_year,
      funding: c.funding,
    },
  };
}

export function createCharge(
  emu: Emulator,
  target: ChargeTarget,
  pi: PaymentIntentRec,
  pm: PaymentMethodRec,
  ok: boolean,
): ChargeRec {
  const charge = emu.store.put<ChargeRec>({
    id: newId('ch', 24),
    object: 'charge',
    amount: target.amount,
    amount_captured: ok ? target.amount : 0,
    amount_refunded: 0,
    captured: ok,
    created: emu.nowFor(target.customer),
    currency: target.currency,
    customer: target.customer,
    description: pi.description,
    failure_code: ok ? null : 'card_declined',
    failure_message: ok ? null : 'Your card was declined.',
    invoice: target.invoice,
    livemode: false,
    metadata: {},
    outcome: ok
      ? {
          type: 'authorized',
          network_status: 'approved_by_network',
          reason: null,
          seller_message: 'Payment complete.',
        }
      : {
          type: 'issuer_declined',
          network_status: 'declined_by_network',
          reason: 'generic_decline',
          seller_message: 'The bank did not return any further details with this decline.',
        },
    paid: ok,
    payment_intent: pi.id,
    payment_method: pm.id,
    payment_method_details: chargeDetailsOf(pm),
    disputed: false,
    refunded: false,
    status: ok ? 'succeeded' : 'failed',
  });
  pi.latest_charge = charge.id;
  return charge;
}

/** An invoice's charge, which the invoice then names. */
function chargeInvoice(
  emu: Emulator,
  inv: InvoiceRec,
  pi: PaymentIntentRec,
  pm: PaymentMethodRec,
  ok: boolean,
): ChargeRec {
  const charge = createCharge(
    emu,
    { amount: inv.amount_due, currency: inv.currency, customer: inv.customer, invoice: inv.id },
    pi,
    pm,
    ok,
  );
  inv.charge = charge.id;
  return charge;
}

/**
 * One payment attempt on an open invoice, decided by the test card: the outcome updates the payment intent,
 * charge, invoice and subscription and emits the events Stripe emits. With `raise`, a failure also throws
 * the 402 Stripe answers `POST /v1/invoices/:id/pay` with.
 */
export function attemptInvoicePayment(
  emu: Emulator,
  inv: InvoiceRec,
  opts: { paymentMethod?: string; raise?: boolean } = {},
): PaymentOutcome {
  if (inv.status === 'draft') finalizeInvoice(emu, inv);
  if (inv.status === 'paid') return 'paid';
  if (inv.status !== 'open')
    throw invalidRequest(
      `Invoice is ${inv.status ?? 'not open'} and cannot be paid.`,
      undefined,
      'invoice_not_editable',
    );
  const now = emu.nowFor(inv.customer);
  const pm = paymentMethodFor(emu, inv, opts.paymentMethod);
  inv.attempted = true;
  inv.attempt_count += 1;
  inv.next_payment_attempt = null;
  const pi = inv.payment_intent
    ? (emu.store.find(inv.payment_intent) as PaymentIntentRec | undefined)
    : undefined;
  if (!pm || !pi) {
    emu.emit('invoice.payment_failed', inv);
    setSubscriptionStatus(emu, inv, 'failed');
    if (opts.raise) {
      throw invalidRequest(
        'This customer has no attached payment source or default payment method. Please consider adding a default payment method.',
        undefined,
        'invoice_no_customer_line_items',
      );
    }
    return 'failed';
  }
  pi.payment_method = pm.id;
  if (pm._behavior === 'succeed') {
    pi.status = 'succeeded';
    pi.amount_received = pi.amount;
    pi.last_payment_error = null;
    pi.next_action = null;
    const charge = chargeInvoice(emu, inv, pi, pm, true);
    emu.emit('charge.succeeded', charge);
    emu.emit('payment_intent.succeeded', pi);
    markPaid(emu, inv, now);
    setSubscriptionStatus(emu, inv, 'paid');
    return 'paid';
  }
  if (pm._behavior === 'require_action') {
    pi.status = 'requires_action';
    pi.next_action = {
      type: 'redirect_to_url',
      redirect_to_url: { url: `${emu.baseUrl}/authenticate/${pi.id}`, return_url: null },
    } as PaymentIntentRec['next_action'];
    emu.emit('payment_intent.requires_action', pi);
    emu.emit('invoice.payment_action_required', inv);
    setSubscriptionStatus(emu, inv, 'action_required');
    if (opts.raise) {
      throw new StripeApiError(402, {
        type: 'card_error',
        code: 'invoice_payment_intent_requires_action',
        message: 'This payment requires additional user action before it can be completed successfully.',
        payment_intent: emu.present(pi),
      });
    }
    return 'action_required';
  }
  const charge = chargeInvoice(emu, inv, pi, pm, false);
  pi.status = 'requires_payment_method';
  pi.last_payment_error = {
    type: 'card_error',
    code: 'card_declined',
    decline_code: 'generic_decline',
    message: 'Your card was declined.',
    charge: charge.id,
  } as PaymentIntentRec['last_payment_error'];
  emu.emit('charge.failed', charge);
  emu.emit('payment_intent.payment_failed', pi);
  emu.emit('invoice.payment_failed', inv);
  setSubscriptionStatus(emu, inv, 'failed');
  if (opts.raise) {
    throw new StripeApiError(402, {
      type: 'card_error',
      code: 'card_declined',
      decline_code: 'generic_decline',
      message: 'Your card was declined.',
      payment_intent: emu.present(pi),
    });
  }
  return 'failed';
}

/** The customer finishing (or abandoning) 3-D Secure for a payment intent that required action. */
export function completeAuthentication(
  emu: Emulator,
  pi: PaymentIntentRec,
  succeed: boolean,
): PaymentIntentRec {
  if (pi.status !== 'requires_action')
    throw invalidRequest(`PaymentIntent ${pi.id} does not require action.`);
  const inv = pi.invoice ? (emu.store.find(pi.invoice) as InvoiceRec | undefined) : undefined;
  const pm = pi.payment_method ? emu.store.get<PaymentMethodRec>('payment_method', pi.payment_method) : null;
  if (!inv || !pm) throw invalidRequest('The emulator can only authenticate invoice payments.');
  pi.next_action = null;
  if (succeed) {
    pi.status = 'succeeded';
    pi.amount_received = pi.amount;
    const charge = chargeInvoice(emu, inv, pi, pm, true);
    emu.emit('charge.succeeded', charge);
    emu.emit('payment_intent.succeeded', pi);
    markPaid(emu, inv, emu.nowFor(inv.customer));
    setSubscriptionStatus(emu, inv, 'paid');
  } else {
    pi.status = 'requires_payment_method';
    pi.last_payment_error = {
      type: 'card_error',
      code: 'payment_intent_authentication_failure',
      message: 'The provided PaymentMethod has failed authentication.',
    } as PaymentIntentRec['last_payment_error'];
    emu.emit('payment_intent.payment_failed', pi);
    emu.emit('invoice.payment_failed', inv);
  }
  return pi;
}
