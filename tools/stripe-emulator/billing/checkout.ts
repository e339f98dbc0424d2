import type { Emulator } from '../emulator';
import { priceAmount } from './tiers';
import { cardDeclined, invalidRequest, StripeApiError } from '../errors';
import { newId } from '../ids';
import type { CheckoutSessionRec, CustomerRec, InvoiceRec, SetupIntentRec, TaxAddress } from '../types';
import { attachPaymentMethod, cardFromNumber, createCardPaymentMethod } from './payment-methods';
import { confirmPayment, newPaymentIntent } from './payments';
import { prorate, subtractInterval } from './periods';
import { createSubscription } from './subscriptions';
import { clockForNewCustomer } from './test-clocks';
import { addTaxId, blankAddress, taxIdsOf, taxOn, taxTreatment } from './tax';

export interface CheckoutCard {
  cardNumber?: string;
  email?: string;
  name?: string;
  /** The billing address typed, when the session collects it (Stripe Tax needs its country). */
  address?: Partial<TaxAddress> & { country: string };
  /** A tax id typed, when the session collects them. */
  taxId?: { type: string; value: string };
}

/**
 * What a session collecting tax details takes from the page: the billing address (required with Stripe
 * Tax: it decides the rate), saved on the customer, and a tax id when one was typed.
 */
function takeTaxDetails(
  emu: Emulator,
  session: CheckoutSessionRec,
  customer: CustomerRec,
  opts: CheckoutCard,
) {
  const needsAddress = session.automatic_tax?.enabled || session.billing_address_collection === 'required';
  if (!needsAddress && !opts.address) return;
  const country = opts.address?.country?.trim().toUpperCase() ?? '';
  if (!/^[A-Z]{2}$/.test(country))
    throw invalidRequest('Enter the country of the billing address.', 'customer_details[address][country]');
  customer.address = { ...blankAddress(country), ...opts.address, country };
  emu.emit('customer.updated', customer);
  if (opts.taxId && session.tax_id_collection?.enabled)
    addTaxId(emu, customer, opts.taxId.type, opts.taxId.value);
  if (session.automatic_tax?.enabled) session.automatic_tax.status = 'complete';
}

const customerDetails = (emu: Emulator, customer: CustomerRec, name: string | null) => ({
  email: customer.email,
  name,
  address: customer.address ?? null,
  tax_ids: taxIdsOf(emu, customer).map((t) => ({ type: t.type, value: t.value })),
});

/** Stripe's words when the customer fails (or abandons) 3-D Secure on its hosted page. */
export const AUTHENTICATION_FAILED =
  'We are unable to authenticate your payment method. Please choose a different payment method and try again.';

/**
 * What one line of a subscription-mode session charges when the customer pays at `now`: a one-time price in
 * full; a recurring one nothing during a trial (or when metered), prorated over the stub before a future
 * `billing_cycle_anchor` (nothing with `proration_behavior: none`), and in full otherwise, including once
 * the anchor has passed (Checkout then charges the full period starting on it).
 */
export function checkoutLineAmount(
  emu: Emulator,
  session: CheckoutSessionRec,
  li: { price: string; quantity: number },
  now: number,
): { subtotal: number; total: number } {
  const price = emu.price(li.price);
  const full = price.recurring?.usage_type === 'metered' ? 0 : priceAmount(price, li.quantity);
  const data = session._subscriptionData;
  if (session.mode !== 'subscription' || !price.recurring) return { subtotal: full, total: full };
  if (data.trialPeriodDays || data.trialEnd) return { subtotal: full, total: 0 };
  const anchor = data.billingCycleAnchor ?? null;
  if (anchor === null || anchor <= now) return { subtotal: full, total: full };
  if (data.prorationBehavior === 'none') return { subtotal: 0, total: 0 };
  const whole = anchor - subtractInterval(anchor, price.recurring.interval, price.recurring.interval_count);
  const stub = prorate(full, Math.min(anchor - now, whole), whole);
  return { subtotal: stub, total: stub };
}

/**
 * Brings an open session up to its clock: past `expires_at` it is expired (`checkout.session.expired`),
 * and a session anchoring its subscription's cycle shows what paying now would charge, since the stub
 * shrinks as time passes (and becomes the full period once the anchor has passed). Run before a session is
 * read or completed.
 */
export function refreshCheckoutSession(emu: Emulator, session: CheckoutSessionRec): CheckoutSessionRec {
  if (session.status !== 'open') return session;
  const now = emu.nowFor(session.customer);
  if (session.expires_at !== null && now >= session.expires_at) {
    session.status = 'expired';
    session.url = null;
    session._authentication = null;
    emu.emit('checkout.session.expired', session);
    return session;
  }
  if (session.mode === 'subscription' && session._subscriptionData.billingCycleAnchor) {
    const amounts = session._lineItems.map((li) => checkoutLineAmount(emu, session, li, now));
    session.amount_subtotal = amounts.reduce((sum, a) => sum + a.subtotal, 0);
    session.amount_total = amounts.reduce((sum, a) => sum + a.total, 0);
    session._amountsAt = now;
  }
  return session;
}

function openSession(emu: Emulator, session: CheckoutSessionRec): void {
  refreshCheckoutSession(emu, session);
  if (session.status !== 'open')
    throw invalidRequest(`This Checkout Session is ${session.status ?? 'not open'}.`);
}

/**
 * The hosted page's submit. A card that needs 3-D Secure (4000 0025 0000 3155, 4000 0027 6000 3184) is
 * held on the session for the challenge, and `'authenticate'` says so; any other card completes the
 * session at once (or is refused, as completeCheckoutSession refuses it).
 */
export function submitCheckoutCard(
  emu: Emulator,
  session: CheckoutSessionRec,
  opts: CheckoutCard,
): 'authenticate' | 'complete' {
  openSession(emu, session);
  const number = opts.cardNumber ?? '4242424242424242';
  if (!collectsCard(session)) {
    completeCheckoutSession(emu, session, opts);
    return 'complete';
  }
  const card = cardFromNumber(number, 'card_number');
  if (card.behavior === 'require_action') {
    session._authentication = { ...opts, cardNumber: number };
    return 'authenticate';
  }
  completeCheckoutSession(emu, session, opts);
  return 'complete';
}

/**
 * The outcome of the challenge: completed, the held card pays (or is saved) as if typed again; failed,
 * nothing is charged or saved, the session stays open for another card, and the error carries Stripe's
 * message.
 */
export function finishCheckoutAuthentication(
  emu: Emulator,
  session: CheckoutSessionRec,
  succeed: boolean,
): CheckoutSessionRec {
  openSession(emu, session);
  const held = session._authentication;
  if (!held) throw invalidRequest('This Checkout Session has no payment waiting for authentication.');
  session._authentication = null;
  if (!succeed) {
    throw new StripeApiError(402, {
      type: 'card_error',
      code: 'payment_intent_authentication_failure',
      message: AUTHENTICATION_FAILED,
    });
  }
  return completeCheckoutSession(emu, session, held);
}

/**
 * With `payment_method_collection: if_required`, Checkout asks for a card only when something is due now: a
 * trial with nothing charged at signup starts without one.
 */
export function collectsCard(session: CheckoutSessionRec): boolean {
  return !(
    session.mode === 'subscription' &&
    session.payment_method_collection === 'if_required' &&
    (session.amount_total ?? 0) === 0
  );
}

/** The card typed on the hosted page, checked and attached to the customer (a declining one is refused). */
function takeCard(emu: Emulator, customer: CustomerRec, opts: CheckoutCard) {
  const card = cardFromNumber(opts.cardNumber ?? '4242424242424242', 'card_number');
  if (card.behavior === 'decline' || card.behavior === 'fail_charges') throw cardDeclined('generic_decline');
  const pm = createCardPaymentMethod(
    emu,
    card.behavior === 'require_action' ? { ...card, behavior: 'succeed' } : card,
    { name: opts.name ?? null, email: customer.email },
  );
  // The hosted page has already run 3-D Secure with the customer, so later off-session charges go through.
  attachPaymentMethod(emu, pm, customer);
  return pm;
}

/**
 * What the hosted page does once the card is accepted (and authenticated where it must be): the card is
 * checked and must pay the first invoice (a card that fails charges is refused here, as Checkout refuses
 * it), then customer, payment method and subscription are created and `checkout.session.completed` is
 * sent. A setup-mode session saves the card instead (completeSetupSession).
 */
export function completeCheckoutSession(
  emu: Emulator,
  session: CheckoutSessionRec,
  opts: CheckoutCard = {},
): CheckoutSessionRec {
  openSession(emu, session);
  if (session.mode === 'setup') return completeSetupSession(emu, session, opts);
  if (session.mode === 'payment') return completePaymentSession(emu, session, opts);
  const customer = sessionCustomer(emu, session, opts);
  takeTaxDetails(emu, session, customer, opts);
  const pm = collectsCard(session) ? takeCard(emu, customer, opts) : null;
  const data = session._subscriptionData;
  const trialDays = data.trialPeriodDays;
  const now = emu.nowFor(customer.id);
  const isRecurring = (li: { price: string }) => emu.price(li.price).recurring !== null;
  const sub = createSubscription(emu, {
    customer,
    items: session._lineItems
      .filter(isRecurring)
      .map((li) => ({ price: li.price, quantity: li.quantity, metadata: {} })),
    addInvoiceItems: session._lineItems
      .filter((li) => !isRecurring(li))
      .map((li) => ({ price: li.price, quantity: li.quantity })),
    defaultPaymentMethod: pm?.id ?? null,
    trialEnd: data.trialEnd ?? (trialDays ? now + trialDays * 86_400 : null),
    trialSettings: session._subscriptionData.trialSettings ?? null,
    metadata: session._subscriptionData.metadata,
    paymentBehavior: 'allow_incomplete',
    cancelAtPeriodEnd: false,
    collectionMethod: 'charge_automatically',
    daysUntilDue: null,
    description: session._subscriptionData.description ?? null,
    discount: session._discount ?? null,
    checkoutSession: session.id,
    automaticTax: session.automatic_tax?.enabled ?? false,
    billingCycleAnchor: data.billingCycleAnchor ?? null,
    prorationBehavior: data.prorationBehavior ?? 'create_prorations',
    anchorParam: 'subscription_data[billing_cycle_anchor]',
    passedAnchor: 'full_period',
  });
  if (sub.status !== 'active' && sub.status !== 'trialing') {
    throw new StripeApiError(402, {
      type: 'card_error',
      code: 'card_declined',
      message: 'Your card was declined.',
    });
  }
  const inv = sub.latest_invoice ? (emu.store.find(sub.latest_invoice) as InvoiceRec | undefined) : undefined;
  session.subscription = sub.id;
  session.invoice = inv?.id ?? null;
  session.status = 'complete';
  session.payment_status = inv && inv.amount_paid > 0 ? 'paid' : 'no_payment_required';
  session.customer_details = customerDetails(emu, customer, customer.name ?? null);
  session.url = null;
  emu.emit('checkout.session.completed', session);
  return session;
}

/**
 * Setup mode: the card is checked (a declining card is refused, as the SetupIntent's check refuses it),
 * attached to the session's customer (`payment_method.attached`) but not made its default, the
 * SetupIntent succeeds and `checkout.session.completed` is sent, as Stripe does.
 */
function completeSetupSession(
  emu: Emulator,
  session: CheckoutSessionRec,
  opts: CheckoutCard,
): CheckoutSessionRec {
  const card = cardFromNumber(opts.cardNumber ?? '4242424242424242', 'card_number');
  if (card.behavior === 'decline') throw cardDeclined('generic_decline');
  const customer = session.customer ? emu.store.get<CustomerRec>('customer', session.customer) : null;
  // 3-D Secure was done on the hosted page; setting the card up is what spares later off-session charges it.
  const pm = createCardPaymentMethod(
    emu,
    card.behavior === 'require_action' ? { ...card, behavior: 'succeed' } : card,
    { name: opts.name ?? null, email: customer?.email ?? opts.email ?? null },
  );
  if (customer) attachPaymentMethod(emu, pm, customer);
  const intent = session.setup_intent
    ? emu.store.get<SetupIntentRec>('setup_intent', session.setup_intent)
    : undefined;
  if (intent) {
    intent.payment_method = pm.id;
    intent.status = 'succeeded';
    emu.emit('setup_intent.succeeded', intent);
  }
  session.status = 'complete';
  session.payment_status = 'no_payment_required';
  session.customer_details = {
    email: customer?.email ?? opts.email ?? null,
    name: opts.name ?? customer?.name ?? null,
  };
  session.url = null;
  emu.emit('checkout.session.completed', session);
  return session;
}

/** The session's customer, or a new one made from what was typed on the page (as Checkout makes it). */
function sessionCustomer(emu: Emulator, session: CheckoutSessionRec, opts: CheckoutCard): CustomerRec {
  let customer: CustomerRec;
  if (session.customer) customer = emu.store.get<CustomerRec>('customer', session.customer);
  else {
    const now = emu.realNow();
    const email = opts.email ?? session.customer_email ?? null;
    const clock = clockForNewCustomer(emu, null, email);
    customer = emu.store.put<CustomerRec>({
      id: newId('cus', 14),
      object: 'customer',
      created: now,
      livemode: false,
      email,
      name: opts.name ?? null,
      description: null,
      phone: null,
      metadata: {},
      balance: 0,
      delinquent: false,
      currency: session.currency,
      invoice_prefix: newId('x', 8).slice(2).toUpperCase(),
      default_source: null,
      invoice_settings: {
        custom_fields: null,
        default_payment_method: null,
        footer: null,
        rendering_options: null,
      },
      test_clock: clock,
      _invoiceSeq: 0,
    });
    emu.emit('customer.created', customer);
    session.customer = customer.id;
  }
  return customer;
}

/**
 * Payment mode: the card pays the session's total at once through a payment intent of its own, which
 * carries `payment_intent_data.metadata`; with `setup_future_usage` the card is also saved on the customer
 * for later off-session charges. Then `checkout.session.completed` is sent with `payment_status: paid`.
 */
function completePaymentSession(
  emu: Emulator,
  session: CheckoutSessionRec,
  opts: CheckoutCard,
): CheckoutSessionRec {
  const card = cardFromNumber(opts.cardNumber ?? '4242424242424242', 'card_number');
  if (card.behavior === 'decline' || card.behavior === 'fail_charges') throw cardDeclined('generic_decline');
  const customer = sessionCustomer(emu, session, opts);
  takeTaxDetails(emu, session, customer, opts);
  if (session.automatic_tax?.enabled) {
    // The tax on a one-time payment, added to what the card pays, as Checkout shows it.
    const tax = taxOn(session.amount_subtotal ?? 0, taxTreatment(emu, customer).basisPoints);
    session.total_details = { amount_discount: 0, amount_shipping: 0, amount_tax: tax };
    session.amount_total = (session.amount_subtotal ?? 0) + tax;
  }
  const pm = createCardPaymentMethod(
    emu,
    card.behavior === 'require_action' ? { ...card, behavior: 'succeed' } : card,
    { name: opts.name ?? null, email: customer.email },
  );
  const intentData = session._paymentIntentData ?? { metadata: {}, setupFutureUsage: null };
  if (intentData.setupFutureUsage) attachPaymentMethod(emu, pm, customer);
  const pi = newPaymentIntent(emu, {
    amount: session.amount_total ?? 0,
    currency: session.currency ?? 'usd',
    customer,
    description: intentData.description ?? null,
    metadata: intentData.metadata,
  });
  confirmPayment(emu, pi, pm, { offSession: false });
  session.payment_intent = pi.id;
  session.status = 'complete';
  session.payment_status = 'paid';
  session.customer_details = customerDetails(emu, customer, opts.name ?? customer.name ?? null);
  session.url = null;
  emu.emit('checkout.session.completed', session);
  return session;
}
