import type { Emulator } from '../emulator';
import { cardDeclined, invalidRequest, StripeApiError } from '../errors';
import { newId } from '../ids';
import type { CheckoutSessionRec, CustomerRec, InvoiceRec } from '../types';
import { attachPaymentMethod, cardFromNumber, createCardPaymentMethod } from './payment-methods';
import { createSubscription } from './subscriptions';
import { clockForNewCustomer } from './test-clocks';

/**
 * What the hosted page does when the customer submits a card: the card is checked and must pay the first
 * invoice (a card that fails charges is refused here, as Checkout refuses it), then customer, payment
 * method and subscription are created and `checkout.session.completed` is sent.
 */
export function completeCheckoutSession(
  emu: Emulator,
  session: CheckoutSessionRec,
  opts: { cardNumber?: string; email?: string; name?: string } = {},
): CheckoutSessionRec {
  if (session.status !== 'open')
    throw invalidRequest(`This Checkout Session is ${session.status ?? 'not open'}.`);
  const number = opts.cardNumber ?? '4242424242424242';
  const card = cardFromNumber(number, 'card_number');
  if (card.behavior === 'decline' || card.behavior === 'fail_charges') throw cardDeclined('generic_decline');
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
  const pm = createCardPaymentMethod(
    emu,
    card.behavior === 'require_action' ? { ...card, behavior: 'succeed' } : card,
    {
      name: opts.name ?? null,
      email: customer.email,
    },
  );
  // The hosted page has already run 3-D Secure with the customer, so later off-session charges go through.
  attachPaymentMethod(emu, pm, customer);
  const trialDays = session._subscriptionData.trialPeriodDays;
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
    defaultPaymentMethod: pm.id,
    trialEnd: trialDays ? now + trialDays * 86_400 : null,
    trialSettings: null,
    metadata: session._subscriptionData.metadata,
    paymentBehavior: 'allow_incomplete',
    cancelAtPeriodEnd: false,
    collectionMethod: 'charge_automatically',
    daysUntilDue: null,
    description: session._subscriptionData.description ?? null,
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
  session.customer_details = { email: customer.email, name: customer.name ?? null };
  session.url = null;
  emu.emit('checkout.session.completed', session);
  return session;
}
