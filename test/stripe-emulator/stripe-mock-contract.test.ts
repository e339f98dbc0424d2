import Stripe from 'stripe';

/* eslint-disable @typescript-eslint/no-require-imports */
const { startStripeMock } = require('../../tools/stripe-mock') as {
  startStripeMock: (opts?: {
    log?: (m: string) => void;
  }) => Promise<{ url: string; port: number; stop(): Promise<void> }>;
};
/* eslint-enable @typescript-eslint/no-require-imports */

/**
 * Sends calls the engine makes, through stripe-node, to Stripe's own stripe-mock, which validates them
 * against the OpenAPI spec: a call it accepts has parameters the real API accepts.
 */
let mock: { url: string; port: number; stop(): Promise<void> };
let stripe: Stripe;

beforeAll(async () => {
  mock = await startStripeMock({ log: () => undefined });
  stripe = new Stripe('sk_test_123', {
    host: '127.0.0.1',
    port: mock.port,
    protocol: 'http',
    maxNetworkRetries: 0,
  });
}, 600_000);
afterAll(() => mock?.stop());

describe('stripe-mock contract', () => {
  it('accepts customer creation and search as the engine sends them', async () => {
    const c = await stripe.customers.create({ email: 'a@example.com', metadata: { account: 'acc_1' } });
    expect(c.object).toBe('customer');
    const found = await stripe.customers.search({ query: "email:'a@example.com'" });
    expect(found.object).toBe('search_result');
  });

  it('accepts a subscription with trial settings and expansions', async () => {
    const sub = await stripe.subscriptions.create({
      customer: 'cus_123',
      items: [{ price: 'price_123', quantity: 2 }],
      trial_period_days: 14,
      trial_settings: { end_behavior: { missing_payment_method: 'pause' } },
      payment_behavior: 'default_incomplete',
      expand: ['latest_invoice'],
    });
    expect(sub.object).toBe('subscription');
  });

  it('accepts a subscription-mode checkout session and a proration update', async () => {
    const session = await stripe.checkout.sessions.create({
      mode: 'subscription',
      customer: 'cus_123',
      line_items: [{ price: 'price_123', quantity: 1 }],
      success_url: 'https://example.com/ok?session={CHECKOUT_SESSION_ID}',
    });
    expect(session.object).toBe('checkout.session');
    const sub = await stripe.subscriptions.update('sub_123', {
      items: [{ id: 'si_123', price: 'price_456' }],
      proration_behavior: 'always_invoice',
    });
    expect(sub.object).toBe('subscription');
    const converted = await stripe.subscriptions.update('sub_123', {
      items: [{ id: 'si_123', price: 'price_456' }],
      proration_behavior: 'none',
      trial_end: 'now',
    });
    expect(converted.object).toBe('subscription');
  });

  it('accepts the refund, credit note, dispute and charge-listing requests the emulator serves', async () => {
    const refund = await stripe.refunds.create(
      { charge: 'ch_123', amount: 500, reason: 'requested_by_customer', metadata: { reason: 'late' } },
      { idempotencyKey: 'contract-refund-1' },
    );
    expect(refund.object).toBe('refund');
    expect((await stripe.refunds.list({ charge: 'ch_123', limit: 100 })).object).toBe('list');
    const note = await stripe.creditNotes.create(
      { invoice: 'in_123', amount: 300, credit_amount: 300, reason: 'order_change', memo: 'goodwill' },
      { idempotencyKey: 'contract-cn-1' },
    );
    expect(note.object).toBe('credit_note');
    const byLines = await stripe.creditNotes.create({
      invoice: 'in_123',
      lines: [{ type: 'custom_line_item', unit_amount: 600, quantity: 2, description: 'two seats' }],
    });
    expect(byLines.object).toBe('credit_note');
    expect((await stripe.creditNotes.preview({ invoice: 'in_123', amount: 300 })).object).toBe('credit_note');
    expect((await stripe.creditNotes.list({ invoice: 'in_123' })).object).toBe('list');
    expect((await stripe.disputes.close('dp_123')).object).toBe('dispute');
    expect((await stripe.disputes.list({ charge: 'ch_123' })).object).toBe('list');
    const payments = await stripe.invoicePayments.list({
      payment: { type: 'payment_intent', payment_intent: 'pi_123' },
    });
    expect(payments.object).toBe('list');
    expect((await stripe.invoicePayments.list({ invoice: 'in_123' })).object).toBe('list');
    const charges = await stripe.charges.list({ limit: 100, starting_after: 'ch_123' });
    expect(charges.object).toBe('list');
    expect((await stripe.charges.list({ payment_intent: 'pi_123' })).object).toBe('list');
  });

  it('accepts a trial checkout that charges a one-time price at signup', async () => {
    const session = await stripe.checkout.sessions.create({
      mode: 'subscription',
      customer: 'cus_123',
      line_items: [
        { price: 'price_123', quantity: 1 },
        { price_data: { currency: 'usd', product: 'prod_123', unit_amount: 100 }, quantity: 1 },
      ],
      subscription_data: {
        trial_period_days: 7,
        trial_settings: { end_behavior: { missing_payment_method: 'cancel' } },
      },
      success_url: 'https://example.com/ok',
    });
    expect(session.object).toBe('checkout.session');
  });

  it('accepts calendar billing: a billing_cycle_anchor and proration_behavior, and a Checkout expires_at', async () => {
    const session = await stripe.checkout.sessions.create({
      mode: 'subscription',
      customer: 'cus_123',
      line_items: [{ price: 'price_123', quantity: 1 }],
      success_url: 'https://example.com/ok',
      expires_at: 1767225540,
      subscription_data: {
        metadata: { subscription_id: 'sub_local_1' },
        billing_cycle_anchor: 1767225600,
        proration_behavior: 'create_prorations',
      },
    });
    expect(session.object).toBe('checkout.session');
    const sub = await stripe.subscriptions.create({
      customer: 'cus_123',
      items: [{ price: 'price_123' }],
      trial_period_days: 7,
      billing_cycle_anchor: 1767225600,
      proration_behavior: 'none',
    });
    expect(sub.object).toBe('subscription');
  });

  it('accepts a setup-mode checkout session and the card changes a customer makes', async () => {
    const session = await stripe.checkout.sessions.create(
      {
        mode: 'setup',
        customer: 'cus_123',
        currency: 'usd',
        success_url: 'https://example.com/cards?card_setup={CHECKOUT_SESSION_ID}',
        cancel_url: 'https://example.com/cards?card_setup=canceled',
      },
      { idempotencyKey: 'contract-setup-1' },
    );
    expect(session.object).toBe('checkout.session');
    const customer = await stripe.customers.update(
      'cus_123',
      { invoice_settings: { default_payment_method: 'pm_123' } },
      { idempotencyKey: 'contract-default-1' },
    );
    expect(customer.object).toBe('customer');
    const sub = await stripe.subscriptions.update(
      'sub_123',
      { default_payment_method: 'pm_123' },
      { idempotencyKey: 'contract-default-2' },
    );
    expect(sub.object).toBe('subscription');
    const detached = await stripe.paymentMethods.detach(
      'pm_123',
      {},
      { idempotencyKey: 'contract-detach-1' },
    );
    expect(detached.object).toBe('payment_method');
  });

  it("accepts a prepaid commit's balance moves as the engine sends them", async () => {
    const txn = await stripe.customers.createBalanceTransaction(
      'cus_123',
      {
        amount: -5000,
        currency: 'usd',
        description: 'Prepaid commit',
        metadata: { prepaid_commit: 'ppc_1' },
      },
      { idempotencyKey: 'contract-commit-1' },
    );
    expect(txn.object).toBe('customer_balance_transaction');
    const list = await stripe.customers.listBalanceTransactions('cus_123', { limit: 100 });
    expect(list.object).toBe('list');
    const voided = await stripe.invoices.voidInvoice('in_123', {}, { idempotencyKey: 'contract-void-1' });
    expect(voided.object).toBe('invoice');
  });

  it('accepts meter events and rejects an unknown parameter', async () => {
    const event = await stripe.billing.meterEvents.create({
      event_name: 'api_calls',
      identifier: 'req-1',
      payload: { stripe_customer_id: 'cus_123', value: '5' },
    });
    expect(event.object).toBe('billing.meter_event');
    await expect(
      stripe.customers.create({ not_a_param: 'x' } as unknown as Stripe.CustomerCreateParams),
    ).rejects.toMatchObject({ statusCode: 400 });
  });
});
