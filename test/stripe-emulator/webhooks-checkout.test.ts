import Stripe from 'stripe';
import { startStripeEmulator } from '../../tools/stripe-emulator';
import {
  clientFor,
  monthlyPrice,
  startHarness,
  startReceiver,
  WEBHOOK_SECRET,
  type Harness,
} from './harness';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(() => h.stop());
afterEach(() =>
  h.emulator.setWebhookBehavior({
    duplicate: false,
    outOfOrder: false,
    outOfOrderHoldMs: undefined,
    delayMs: 0,
  }),
);

describe('checkout and webhooks', () => {
  it('completes a checkout session from the hosted page into a subscription with signed webhooks', async () => {
    const price = await monthlyPrice(h.stripe, 2500, 'Team');
    const session = await h.stripe.checkout.sessions.create({
      mode: 'subscription',
      customer_email: 'buyer@example.com',
      line_items: [{ price: price.id, quantity: 2 }],
      success_url: 'https://app.example.com/done?session={CHECKOUT_SESSION_ID}',
      cancel_url: 'https://app.example.com/cancel',
    });
    expect(session.id).toMatch(/^cs_test_/);
    const page = await fetch(session.url!);
    expect(await page.text()).toContain('name="card_number"');

    const submit = await fetch(session.url!, {
      method: 'POST',
      body: new URLSearchParams({ card_number: '4242 4242 4242 4242', email: 'buyer@example.com' }),
      redirect: 'manual',
    });
    expect(submit.status).toBe(303);
    expect(submit.headers.get('location')).toBe(`https://app.example.com/done?session=${session.id}`);

    const done = await h.stripe.checkout.sessions.retrieve(session.id, { expand: ['subscription'] });
    expect(done).toMatchObject({ status: 'complete', payment_status: 'paid' });
    const sub = done.subscription as Stripe.Subscription;
    expect(sub).toMatchObject({ status: 'active', customer: done.customer });
    expect(sub.items.data[0]).toMatchObject({ quantity: 2 });

    await h.emulator.waitForWebhooks();
    expect(h.receiver.rejected).toBe(0);
    const types = h.receiver.events.map((e) => e.type);
    for (const t of [
      'customer.created',
      'payment_method.attached',
      'customer.subscription.created',
      'invoice.created',
      'invoice.finalized',
      'charge.succeeded',
      'invoice.paid',
      'checkout.session.completed',
    ]) {
      expect(types).toContain(t);
    }
    const completed = h.receiver.events.find((e) => e.type === 'checkout.session.completed')!;
    expect((completed.data.object as Stripe.Checkout.Session).subscription).toBe(sub.id);
    const fromApi = await h.stripe.events.retrieve(completed.id);
    expect(fromApi.type).toBe('checkout.session.completed');
  });

  it('refuses a declining card on the hosted page and completes through the test helper', async () => {
    const price = await monthlyPrice(h.stripe, 1000);
    const session = await h.stripe.checkout.sessions.create({
      mode: 'subscription',
      line_items: [{ price: price.id, quantity: 1 }],
      success_url: 'https://x.test/ok',
    });
    const refused = await fetch(session.url!, {
      method: 'POST',
      body: new URLSearchParams({ card_number: '4000000000000002' }),
    });
    expect(refused.status).toBe(402);
    const done = h.emulator.completeCheckoutSession(session.id, { email: 'helper@example.com' });
    expect(done['status']).toBe('complete');
  });

  it('charges a one-time line item at once in a subscription-mode checkout with a trial', async () => {
    const price = await monthlyPrice(h.stripe, 100, 'Trial');
    const session = await h.stripe.checkout.sessions.create({
      mode: 'subscription',
      customer_email: 'trial-fee@example.com',
      line_items: [
        { price: price.id, quantity: 1 },
        { price_data: { currency: 'usd', product: price.product as string, unit_amount: 100 }, quantity: 1 },
      ],
      subscription_data: { trial_period_days: 7 },
      success_url: 'https://x.test/ok',
    });
    // The trial defers the recurring price only.
    expect({ subtotal: session.amount_subtotal, total: session.amount_total }).toEqual({
      subtotal: 200,
      total: 100,
    });
    const lines = await h.stripe.checkout.sessions.listLineItems(session.id);
    expect(lines.data.map((l) => [l.price?.type, l.amount_total])).toEqual([
      ['recurring', 100],
      ['one_time', 100],
    ]);
    h.emulator.completeCheckoutSession(session.id, { cardNumber: '4242424242424242' });
    const done = await h.stripe.checkout.sessions.retrieve(session.id, {
      expand: ['subscription', 'invoice'],
    });
    expect(done.payment_status).toBe('paid');
    const sub = done.subscription as Stripe.Subscription;
    expect(sub.status).toBe('trialing');
    // The one-time price is no subscription item: it never bills again.
    expect(sub.items.data.map((i) => i.price.id)).toEqual([price.id]);
    const invoice = done.invoice as Stripe.Invoice;
    expect({ due: invoice.amount_due, paid: invoice.amount_paid, status: invoice.status }).toEqual({
      due: 100,
      paid: 100,
      status: 'paid',
    });
    expect(invoice.lines.data.map((l) => l.amount).sort()).toEqual([0, 100]);
    const charges = await h.stripe.charges.list({ customer: sub.customer as string });
    expect(charges.data.map((c) => [c.amount, c.status])).toEqual([[100, 'succeeded']]);
  });

  it('refuses a subscription-mode checkout without a recurring price, and a price_data that recurs', async () => {
    const price = await monthlyPrice(h.stripe, 100, 'Fee');
    const oneTime = { currency: 'usd', product: price.product as string, unit_amount: 100 };
    await expect(
      h.stripe.checkout.sessions.create({
        mode: 'subscription',
        line_items: [{ price_data: oneTime, quantity: 1 }],
        success_url: 'https://x.test/ok',
      }),
    ).rejects.toMatchObject({ statusCode: 400, param: 'line_items' });
    await expect(
      h.stripe.checkout.sessions.create({
        mode: 'subscription',
        line_items: [
          { price: price.id, quantity: 1 },
          { price_data: { ...oneTime, recurring: { interval: 'month' } }, quantity: 1 },
        ],
        success_url: 'https://x.test/ok',
      }),
    ).rejects.toMatchObject({ statusCode: 400, param: 'line_items[1][price_data][recurring]' });
  });

  it('retries a webhook answered with a 500 until it is accepted', async () => {
    h.receiver.failNext = 1;
    const customer = await h.stripe.customers.create({ email: 'retry@example.com' });
    await h.emulator.waitForWebhooks();
    const created = h.emulator
      .webhookDeliveries()
      .filter((d) => d.type === 'customer.created' && d.status !== null);
    const forThis = h.receiver.events.filter(
      (e) => e.type === 'customer.created' && (e.data.object as Stripe.Customer).id === customer.id,
    );
    expect(forThis).toHaveLength(1);
    expect(created.some((d) => d.status === 500)).toBe(true);
  });

  it('delivers duplicates when asked to', async () => {
    h.emulator.setWebhookBehavior({ duplicate: true });
    const customer = await h.stripe.customers.create({ email: 'dup@example.com' });
    await h.emulator.waitForWebhooks();
    const forThis = h.receiver.events.filter((e) => (e.data.object as Stripe.Customer).id === customer.id);
    expect(forThis).toHaveLength(2);
    expect(forThis[0]!.id).toBe(forThis[1]!.id);
  });

  it('delivers a burst newest first when out-of-order delivery is on', async () => {
    // Held long enough that the two requests land in one batch however loaded the machine is.
    h.emulator.setWebhookBehavior({ outOfOrder: true, outOfOrderHoldMs: 1_000 });
    const a = await h.stripe.customers.create({ email: 'first@example.com' });
    const b = await h.stripe.customers.create({ email: 'second@example.com' });
    await h.emulator.waitForWebhooks();
    const order = h.receiver.events
      .map((e) => (e.data.object as Stripe.Customer).id)
      .filter((id) => id === a.id || id === b.id);
    expect(order).toEqual([b.id, a.id]);
  });

  it('sends its forwarding endpoint only the types it was given, as a Stripe endpoint with enabled events', async () => {
    const verifier = new Stripe('sk_test_verifier');
    const receiver = await startReceiver(verifier);
    const emulator = await startStripeEmulator({
      port: 0,
      webhook: {
        url: receiver.url,
        secret: WEBHOOK_SECRET,
        events: ['customer.subscription.created', 'invoice.paid'],
      },
    });
    try {
      const stripe = clientFor(emulator);
      const customer = await stripe.customers.create({
        email: 'filtered@example.com',
        payment_method: 'pm_card_visa',
        invoice_settings: { default_payment_method: 'pm_card_visa' },
      });
      const price = await monthlyPrice(stripe, 700, 'Filtered plan');
      await stripe.subscriptions.create({ customer: customer.id, items: [{ price: price.id }] });
      await emulator.waitForWebhooks();
      expect(receiver.events.map((e) => e.type).sort()).toEqual([
        'customer.subscription.created',
        'invoice.paid',
      ]);
      // Everything else was made too (customer, payment intents, invoice.created, …), and not sent.
      const made = await stripe.events.list({ limit: 100 });
      expect(made.data.length).toBeGreaterThan(2);
      const listed = await stripe.webhookEndpoints.list();
      expect(listed.data.map((e) => e.enabled_events)).toContainEqual([
        'customer.subscription.created',
        'invoice.paid',
      ]);
    } finally {
      await emulator.stop();
      await receiver.stop();
    }
  });

  it('registers webhook endpoints through the API with their own secret', async () => {
    const endpoint = await h.stripe.webhookEndpoints.create({
      url: 'http://127.0.0.1:9/nowhere',
      enabled_events: ['invoice.paid'],
    });
    expect(endpoint.secret).toMatch(/^whsec_/);
    await h.stripe.webhookEndpoints.del(endpoint.id);
  });

  it('serves the invoice PDF as a real PDF document and a billing portal page', async () => {
    const customer = await h.stripe.customers.create({
      email: 'pdf@example.com',
      payment_method: 'pm_card_visa',
      invoice_settings: { default_payment_method: 'pm_card_visa' },
    });
    const price = await monthlyPrice(h.stripe, 1234, 'PDF plan');
    const sub = await h.stripe.subscriptions.create({
      customer: customer.id,
      items: [{ price: price.id }],
      expand: ['latest_invoice'],
    });
    const invoice = sub.latest_invoice as Stripe.Invoice;
    const pdf = Buffer.from(await (await fetch(invoice.invoice_pdf!)).arrayBuffer()).toString('latin1');
    expect(pdf.startsWith('%PDF-')).toBe(true);
    expect(pdf.trimEnd().endsWith('%%EOF')).toBe(true);
    const xrefAt = Number(/startxref\n(\d+)/.exec(pdf)![1]);
    expect(pdf.slice(xrefAt, xrefAt + 4)).toBe('xref');
    expect((await fetch(invoice.hosted_invoice_url!)).status).toBe(200);
    const portal = await h.stripe.billingPortal.sessions.create({
      customer: customer.id,
      return_url: 'https://app.example.com',
    });
    expect(portal.id).toMatch(/^bps_/);
    expect(await (await fetch(portal.url)).text()).toContain(sub.id);
  });
});
