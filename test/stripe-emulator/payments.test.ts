import Stripe from 'stripe';
import { monthlyPrice, startHarness, type Harness } from './harness';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(() => h.stop());

/** A customer with a saved default card of the given test number, as a subscriber has. */
async function customerWithCard(email: string, card: string): Promise<{ customer: string; pm: string }> {
  const customer = await h.stripe.customers.create({ email });
  const pm = await h.stripe.paymentMethods.attach(card, { customer: customer.id });
  await h.stripe.customers.update(customer.id, { invoice_settings: { default_payment_method: pm.id } });
  return { customer: customer.id, pm: pm.id };
}

/** One-off payments: Checkout in payment mode (a credit pack) and off-session payment intents (a top-up). */
describe('one-off payments', () => {
  it('charges a payment-mode checkout once through its own payment intent, which carries the metadata', async () => {
    const price = await monthlyPrice(h.stripe, 100, 'Credits');
    const { customer } = await customerWithCard('pack-buyer@example.com', 'pm_card_visa');
    const session = await h.stripe.checkout.sessions.create({
      mode: 'payment',
      customer,
      line_items: [
        {
          price_data: { currency: 'usd', product: price.product as string, unit_amount: 1900 },
          quantity: 1,
        },
      ],
      payment_intent_data: { metadata: { credit_pack_id: 'pack_small' }, setup_future_usage: 'off_session' },
      metadata: { credit_pack_id: 'pack_small' },
      success_url: 'https://app.example.com/credits?session={CHECKOUT_SESSION_ID}',
    });
    expect({ total: session.amount_total, status: session.status, pi: session.payment_intent }).toEqual({
      total: 1900,
      status: 'open',
      pi: null,
    });
    const page = await (await fetch(session.url!)).text();
    expect(page).toContain('Pay 19.00 USD');
    const submit = await fetch(session.url!, {
      method: 'POST',
      body: new URLSearchParams({ card_number: '4242 4242 4242 4242' }),
      redirect: 'manual',
    });
    expect(submit.status).toBe(303);

    const done = await h.stripe.checkout.sessions.retrieve(session.id, { expand: ['payment_intent'] });
    expect(done).toMatchObject({ status: 'complete', payment_status: 'paid', subscription: null });
    const pi = done.payment_intent as Stripe.PaymentIntent;
    expect(pi).toMatchObject({
      status: 'succeeded',
      amount: 1900,
      amount_received: 1900,
      customer,
      metadata: { credit_pack_id: 'pack_small' },
    });
    const charges = await h.stripe.charges.list({ payment_intent: pi.id });
    expect(charges.data.map((c) => [c.amount, c.status, c.payment_intent])).toEqual([
      [1900, 'succeeded', pi.id],
    ]);
    // setup_future_usage saved the card typed on the page beside the one the customer had.
    const cards = await h.stripe.paymentMethods.list({ customer, type: 'card' });
    expect(cards.data).toHaveLength(2);

    await h.emulator.waitForWebhooks();
    const ofPayment = (o: { id?: string; payment_intent?: unknown }) =>
      o.id === pi.id || o.payment_intent === pi.id;
    const types = h.receiver.events
      .filter((e) => ofPayment(e.data.object as { id?: string; payment_intent?: unknown }))
      .map((e) => e.type);
    expect(types).toEqual(expect.arrayContaining(['charge.succeeded', 'payment_intent.succeeded']));
    const completed = h.receiver.events.find(
      (e) => e.type === 'checkout.session.completed' && (e.data.object as { id: string }).id === session.id,
    );
    expect(completed?.data.object).toMatchObject({
      payment_intent: pi.id,
      metadata: { credit_pack_id: 'pack_small' },
    });

    // A refund of the purchase refunds its payment intent's charge.
    const refund = await h.stripe.refunds.create({ payment_intent: pi.id, amount: 900 });
    expect(refund).toMatchObject({ amount: 900, charge: charges.data[0]!.id });
    const after = await h.stripe.charges.retrieve(charges.data[0]!.id);
    expect({ refunded: after.amount_refunded, full: after.refunded }).toEqual({ refunded: 900, full: false });
  });

  it('makes the product of a price_data line from product_data, as Stripe does', async () => {
    const session = await h.stripe.checkout.sessions.create({
      mode: 'payment',
      line_items: [
        {
          price_data: { currency: 'eur', product_data: { name: '5,000 credits' }, unit_amount: 4500 },
          quantity: 1,
        },
      ],
      success_url: 'https://x.test/ok',
    });
    const lines = await h.stripe.checkout.sessions.listLineItems(session.id, {
      expand: ['data.price.product'],
    });
    expect(lines.data.map((l) => [l.description, l.amount_total, l.currency])).toEqual([
      ['5,000 credits', 4500, 'eur'],
    ]);
    expect((lines.data[0]!.price!.product as unknown as { name: string }).name).toBe('5,000 credits');
  });

  it('refuses recurring prices and subscription data in payment mode, and a declining card on the page', async () => {
    const price = await monthlyPrice(h.stripe, 100, 'Monthly');
    await expect(
      h.stripe.checkout.sessions.create({
        mode: 'payment',
        line_items: [{ price: price.id, quantity: 1 }],
        success_url: 'https://x.test/ok',
      }),
    ).rejects.toMatchObject({ param: 'line_items[0][price]' });
    const oneTime = { currency: 'usd', product: price.product as string, unit_amount: 500 };
    await expect(
      h.stripe.checkout.sessions.create({
        mode: 'payment',
        line_items: [{ price_data: oneTime, quantity: 1 }],
        subscription_data: { description: 'no' },
        success_url: 'https://x.test/ok',
      }),
    ).rejects.toMatchObject({ param: 'subscription_data' });
    const session = await h.stripe.checkout.sessions.create({
      mode: 'payment',
      line_items: [{ price_data: oneTime, quantity: 2 }],
      success_url: 'https://x.test/ok',
    });
    expect(session.amount_total).toBe(1000);
    const refused = await fetch(session.url!, {
      method: 'POST',
      body: new URLSearchParams({ card_number: '4000000000000341' }),
    });
    expect(refused.status).toBe(402);
    expect((await h.stripe.checkout.sessions.retrieve(session.id)).status).toBe('open');
  });

  it('charges a saved card off-session once per idempotency key', async () => {
    const { customer, pm } = await customerWithCard('topup-ok@example.com', 'pm_card_visa');
    const create = () =>
      h.stripe.paymentIntents.create(
        {
          amount: 2500,
          currency: 'usd',
          customer,
          payment_method: pm,
          off_session: true,
          confirm: true,
          metadata: { top_up: 'crossing-1' },
        },
        { idempotencyKey: 'topup-crossing-1' },
      );
    const first = await create();
    const again = await create();
    expect(first).toMatchObject({ status: 'succeeded', amount_received: 2500, invoice: null });
    expect(again.id).toBe(first.id);
    const charges = await h.stripe.charges.list({ customer });
    expect(charges.data.map((c) => [c.amount, c.status, c.payment_intent])).toEqual([
      [2500, 'succeeded', first.id],
    ]);
  });

  it('answers a declined off-session charge with a 402 naming the payment intent, the same on a retry', async () => {
    const { customer, pm } = await customerWithCard(
      'topup-declined@example.com',
      'pm_card_chargeCustomerFail',
    );
    const create = () =>
      h.stripe.paymentIntents.create(
        { amount: 2500, currency: 'usd', customer, payment_method: pm, off_session: true, confirm: true },
        { idempotencyKey: 'topup-declined-1' },
      );
    const err = (await create().catch((e: unknown) => e)) as Stripe.errors.StripeCardError;
    expect(err).toBeInstanceOf(Stripe.errors.StripeCardError);
    expect({ code: err.code, decline: err.decline_code, status: err.payment_intent?.status }).toEqual({
      code: 'card_declined',
      decline: 'generic_decline',
      status: 'requires_payment_method',
    });
    const replay = (await create().catch((e: unknown) => e)) as Stripe.errors.StripeCardError;
    expect(replay.payment_intent?.id).toBe(err.payment_intent?.id);
    const charges = await h.stripe.charges.list({ customer });
    expect(charges.data.map((c) => c.status)).toEqual(['failed']);
  });

  it('refuses off-session a card that needs 3-D Secure: nobody is there to authenticate', async () => {
    const { customer, pm } = await customerWithCard(
      'topup-3ds@example.com',
      'pm_card_authenticationRequired',
    );
    const err = (await h.stripe.paymentIntents
      .create({
        amount: 900,
        currency: 'usd',
        customer,
        payment_method: pm,
        off_session: true,
        confirm: true,
      })
      .catch((e: unknown) => e)) as Stripe.errors.StripeCardError;
    expect({ code: err.code, status: err.payment_intent?.status }).toEqual({
      code: 'authentication_required',
      status: 'requires_payment_method',
    });
    expect((await h.stripe.charges.list({ customer })).data).toEqual([]);
  });
});

describe('a card the customer has detached', () => {
  /** An open invoice of 1,000 cents for the customer, finalized without an attempt. */
  async function openInvoice(customer: string): Promise<string> {
    const draft = await h.stripe.invoices.create({ customer, auto_advance: false });
    await h.stripe.invoiceItems.create({ customer, invoice: draft.id, amount: 1000, currency: 'usd' });
    return (await h.stripe.invoices.finalizeInvoice(draft.id)).id;
  }

  it('cannot pay an invoice, named or as the default, nor can another customer’s card', async () => {
    const { customer, pm } = await customerWithCard('detached-card@example.com', 'pm_card_visa');
    const other = await customerWithCard('detached-other@example.com', 'pm_card_visa');
    const invoice = await openInvoice(customer);
    await expect(h.stripe.invoices.pay(invoice, { payment_method: other.pm })).rejects.toMatchObject({
      statusCode: 400,
      param: 'payment_method',
      code: 'payment_method_unexpected_state',
    });
    await h.stripe.paymentMethods.detach(pm);
    await expect(h.stripe.invoices.pay(invoice, { payment_method: pm })).rejects.toMatchObject({
      statusCode: 400,
      param: 'payment_method',
    });
    // Nothing is left to charge it: the detached card was the default.
    await expect(h.stripe.invoices.pay(invoice)).rejects.toMatchObject({ statusCode: 400 });
    expect(await h.stripe.invoices.retrieve(invoice)).toMatchObject({ status: 'open', amount_paid: 0 });
    expect((await h.stripe.charges.list({ customer })).data.filter((c) => c.status === 'succeeded')).toEqual(
      [],
    );
    // A card attached again pays it.
    const again = await h.stripe.paymentMethods.attach('pm_card_visa', { customer });
    expect(await h.stripe.invoices.pay(invoice, { payment_method: again.id })).toMatchObject({
      status: 'paid',
      amount_paid: 1000,
    });
  });

  it('is not charged for a subscription that still names it as its default', async () => {
    const { customer, pm } = await customerWithCard('detached-sub@example.com', 'pm_card_visa');
    const price = await monthlyPrice(h.stripe, 1900);
    const sub = await h.stripe.subscriptions.create({
      customer,
      items: [{ price: price.id }],
      default_payment_method: pm,
    });
    expect(sub.status).toBe('active');
    await h.stripe.paymentMethods.detach(pm);
    const invoice = await h.stripe.invoices.create({ customer, subscription: sub.id, auto_advance: false });
    await h.stripe.invoiceItems.create({ customer, invoice: invoice.id, amount: 500, currency: 'usd' });
    await h.stripe.invoices.finalizeInvoice(invoice.id);
    await expect(h.stripe.invoices.pay(invoice.id)).rejects.toMatchObject({ statusCode: 400 });
    expect(await h.stripe.invoices.retrieve(invoice.id)).toMatchObject({ status: 'open', amount_paid: 0 });
  });
});

/** Bank debits (SEPA, ACH): accepted at once, paid or returned by the bank days later. */
describe('delayed-notification payment methods', () => {
  async function debitCustomer(email: string, method: Stripe.PaymentMethodCreateParams) {
    const customer = await h.stripe.customers.create({ email });
    const pm = await h.stripe.paymentMethods.create(method);
    await h.stripe.paymentMethods.attach(pm.id, { customer: customer.id });
    return { customer: customer.id, pm };
  }
  const offSession = (customer: string, pm: string) =>
    h.stripe.paymentIntents.create({
      amount: 1900,
      currency: 'eur',
      customer,
      payment_method: pm,
      off_session: true,
      confirm: true,
    });
  const typesFor = (pi: string) =>
    h.emulator
      .events()
      .filter((e) => {
        const o = e.data.object as { id?: string; payment_intent?: string };
        return o.id === pi || o.payment_intent === pi;
      })
      .map((e) => e.type);

  it('leaves a SEPA debit processing with a pending charge until the bank settles it', async () => {
    const { customer, pm } = await debitCustomer('sepa-ok@example.com', {
      type: 'sepa_debit',
      sepa_debit: { iban: 'DE89370400440532013000' },
      billing_details: { name: 'Jenny Rosen', email: 'sepa-ok@example.com' },
    });
    expect(pm).toMatchObject({ type: 'sepa_debit', sepa_debit: { country: 'DE', last4: '3000' } });
    expect(pm.card).toBeUndefined();
    const pi = await offSession(customer, pm.id);
    expect(pi).toMatchObject({
      status: 'processing',
      amount_received: 0,
      payment_method_types: ['sepa_debit'],
    });
    const pending = await h.stripe.charges.retrieve(pi.latest_charge as string);
    expect(pending).toMatchObject({
      status: 'pending',
      paid: false,
      payment_method_details: { type: 'sepa_debit', sepa_debit: { last4: '3000' } },
    });

    expect(h.emulator.settleDebits()).toEqual({ settled: 1, failed: 0 });
    expect(await h.stripe.paymentIntents.retrieve(pi.id)).toMatchObject({
      status: 'succeeded',
      amount_received: 1900,
    });
    expect(await h.stripe.charges.retrieve(pi.latest_charge as string)).toMatchObject({
      status: 'succeeded',
      paid: true,
    });
    expect(typesFor(pi.id)).toEqual([
      'payment_intent.created',
      'charge.pending',
      'payment_intent.processing',
      'charge.succeeded',
      'payment_intent.succeeded',
    ]);
    // Settling again finds nothing still processing.
    expect(h.emulator.settleDebits()).toEqual({ settled: 0, failed: 0 });
  });

  it.each([
    ['a SEPA IBAN', { type: 'sepa_debit', sepa_debit: { iban: 'DE62370400440532013001' } }],
    [
      'an ACH account',
      {
        type: 'us_bank_account',
        us_bank_account: { account_number: '000111111113', routing_number: '110000000' },
      },
    ],
  ] as const)('returns the debit of %s that fails days later', async (_name, method) => {
    const { customer, pm } = await debitCustomer(`debit-fails-${nextSuffix()}@example.com`, {
      ...method,
      billing_details: { name: 'Returned Debit' },
    } as Stripe.PaymentMethodCreateParams);
    const pi = await offSession(customer, pm.id);
    expect(pi.status).toBe('processing');
    expect(h.emulator.settleDebits()).toMatchObject({ failed: 1 });
    expect(await h.stripe.paymentIntents.retrieve(pi.id)).toMatchObject({
      status: 'requires_payment_method',
      amount_received: 0,
      last_payment_error: { code: 'insufficient_funds' },
    });
    expect(await h.stripe.charges.retrieve(pi.latest_charge as string)).toMatchObject({
      status: 'failed',
      paid: false,
      failure_code: 'insufficient_funds',
    });
    expect(typesFor(pi.id).slice(-2)).toEqual(['charge.failed', 'payment_intent.payment_failed']);
  });

  it('refuses a malformed IBAN and an unknown payment method type, naming the parameter', async () => {
    await expect(
      h.stripe.paymentMethods.create({ type: 'sepa_debit', sepa_debit: { iban: 'not an iban' } }),
    ).rejects.toMatchObject({ statusCode: 400, param: 'sepa_debit[iban]' });
    await expect(
      h.stripe.paymentMethods.create({ type: 'bacs_debit', bacs_debit: { account_number: '00012345' } }),
    ).rejects.toMatchObject({ statusCode: 400, param: 'type' });
  });
});

let suffix = 0;
const nextSuffix = () => String(++suffix);
