import type Stripe from 'stripe';
import { monthlyPrice, startHarness, type Harness } from './harness';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(() => h.stop());

/** Submits a hosted page's form as a browser does, without following the redirect. */
function submit(url: string, fields: Record<string, string>) {
  return fetch(url, { method: 'POST', body: new URLSearchParams(fields), redirect: 'manual' });
}

function eventsFor(type: string, id: string): Stripe.Event[] {
  return h.receiver.events.filter((e) => e.type === type && (e.data.object as { id: string }).id === id);
}

describe('3-D Secure on the hosted Checkout page', () => {
  it('asks for authentication, returns to the form with Stripe’s message when it fails, and pays once it is completed', async () => {
    const price = await monthlyPrice(h.stripe, 4900, 'Secure');
    const customer = await h.stripe.customers.create({ email: 'secure@example.com' });
    const session = await h.stripe.checkout.sessions.create({
      mode: 'subscription',
      customer: customer.id,
      line_items: [{ price: price.id, quantity: 1 }],
      success_url: 'https://app.example.com/done?session={CHECKOUT_SESSION_ID}',
    });

    const first = await submit(session.url!, { card_number: '4000 0025 0000 3155' });
    expect(first.status).toBe(303);
    const challengeUrl = new URL(first.headers.get('location')!, session.url!).href;
    expect(challengeUrl).toBe(`${h.emulator.url}/checkout/${session.id}/authenticate`);
    const challenge = await (await fetch(challengeUrl)).text();
    expect(challenge).toContain('card ending 3155');
    expect(challenge).toContain('49.00 USD');
    expect(challenge).toContain('Complete authentication');
    expect(challenge).toContain('Fail authentication');
    // Nothing is saved or charged while the bank waits.
    expect((await h.stripe.paymentMethods.list({ customer: customer.id })).data).toEqual([]);

    const failed = await submit(challengeUrl, { outcome: 'fail' });
    expect(failed.status).toBe(402);
    const form = await failed.text();
    expect(form).toContain('We are unable to authenticate your payment method.');
    expect(form).toContain(`action="/checkout/${session.id}"`);
    const stillOpen = await h.stripe.checkout.sessions.retrieve(session.id);
    expect({ status: stillOpen.status, subscription: stillOpen.subscription }).toEqual({
      status: 'open',
      subscription: null,
    });
    expect((await h.stripe.subscriptions.list({ customer: customer.id })).data).toEqual([]);
    expect((await h.stripe.charges.list({ customer: customer.id })).data).toEqual([]);
    // The challenge is gone with the failed attempt: its address leads back to the form.
    expect((await fetch(challengeUrl, { redirect: 'manual' })).status).toBe(303);

    const retry = await submit(session.url!, { card_number: '4000002500003155' });
    expect(retry.headers.get('location')).toBe(`/checkout/${session.id}/authenticate`);
    const paid = await submit(challengeUrl, { outcome: 'succeed' });
    expect(paid.status).toBe(303);
    expect(paid.headers.get('location')).toBe(`https://app.example.com/done?session=${session.id}`);

    const done = await h.stripe.checkout.sessions.retrieve(session.id, { expand: ['subscription'] });
    expect({ status: done.status, payment_status: done.payment_status }).toEqual({
      status: 'complete',
      payment_status: 'paid',
    });
    const sub = done.subscription as Stripe.Subscription;
    expect(sub.status).toBe('active');
    const cards = await h.stripe.paymentMethods.list({ customer: customer.id });
    expect(cards.data.map((pm) => pm.card?.last4)).toEqual(['3155']);
    const charges = await h.stripe.charges.list({ customer: customer.id });
    expect(charges.data.map((c) => [c.amount, c.status])).toEqual([[4900, 'succeeded']]);
  });

  it('refuses an outcome for a session with no payment waiting on authentication', async () => {
    const price = await monthlyPrice(h.stripe, 1000);
    const session = await h.stripe.checkout.sessions.create({
      mode: 'subscription',
      line_items: [{ price: price.id, quantity: 1 }],
      success_url: 'https://x.test/ok',
    });
    const stray = await submit(`${h.emulator.url}/checkout/${session.id}/authenticate`, {
      outcome: 'succeed',
    });
    expect(stray.status).toBe(303);
    expect(stray.headers.get('location')).toBe(`/checkout/${session.id}`);
    expect((await h.stripe.checkout.sessions.retrieve(session.id)).status).toBe('open');
  });
});

describe('Checkout in setup mode', () => {
  it('saves a card to the customer without charging or making it the default, with the events Stripe sends', async () => {
    const customer = await h.stripe.customers.create({
      email: 'saver@example.com',
      invoice_settings: { default_payment_method: 'pm_card_visa' },
    });
    const before = (await h.stripe.customers.retrieve(customer.id)) as Stripe.Customer;
    const firstCard = before.invoice_settings.default_payment_method as string;
    const session = await h.stripe.checkout.sessions.create(
      {
        mode: 'setup',
        customer: customer.id,
        currency: 'usd',
        setup_intent_data: { metadata: { purpose: 'add-card' } },
        success_url: 'https://app.example.com/cards?added={CHECKOUT_SESSION_ID}',
        cancel_url: 'https://app.example.com/cards',
      },
      { idempotencyKey: 'setup-session-test-1' },
    );
    expect(session).toMatchObject({
      mode: 'setup',
      status: 'open',
      payment_status: 'no_payment_required',
      amount_total: null,
      subscription: null,
    });
    expect(session.setup_intent).toMatch(/^seti_/);
    const page = await (await fetch(session.url!)).text();
    expect(page).toContain('Save card');
    expect(page).not.toContain('Subscribe');

    const declined = await submit(session.url!, { card_number: '4000 0000 0000 0002' });
    expect(declined.status).toBe(402);
    expect(await declined.text()).toContain('Your card was declined.');

    const saved = await submit(session.url!, { card_number: '5555 5555 5555 4444', name: 'Sam Saver' });
    expect(saved.status).toBe(303);
    expect(saved.headers.get('location')).toBe(`https://app.example.com/cards?added=${session.id}`);

    const done = await h.stripe.checkout.sessions.retrieve(session.id, { expand: ['setup_intent'] });
    expect(done.status).toBe('complete');
    const intent = done.setup_intent as Stripe.SetupIntent;
    expect(intent).toMatchObject({
      status: 'succeeded',
      customer: customer.id,
      metadata: { purpose: 'add-card' },
    });
    const cards = await h.stripe.paymentMethods.list({ customer: customer.id });
    expect(cards.data.map((pm) => pm.card?.last4).sort()).toEqual(['4242', '4444']);
    const added = cards.data.find((pm) => pm.card?.last4 === '4444')!;
    expect(intent.payment_method).toBe(added.id);
    expect(added.billing_details.name).toBe('Sam Saver');
    const after = (await h.stripe.customers.retrieve(customer.id)) as Stripe.Customer;
    expect(after.invoice_settings.default_payment_method).toBe(firstCard);
    expect((await h.stripe.charges.list({ customer: customer.id })).data).toEqual([]);
    expect((await h.stripe.invoices.list({ customer: customer.id })).data).toEqual([]);

    await h.emulator.waitForWebhooks();
    expect(eventsFor('setup_intent.created', intent.id)).toHaveLength(1);
    expect(eventsFor('setup_intent.succeeded', intent.id)).toHaveLength(1);
    expect(eventsFor('payment_method.attached', added.id)).toHaveLength(1);
    const completed = eventsFor('checkout.session.completed', session.id);
    expect(completed).toHaveLength(1);
    expect((completed[0]!.data.object as Stripe.Checkout.Session).setup_intent).toBe(intent.id);
  });

  it('runs 3-D Secure before saving a card that needs it: failing saves nothing, completing saves it', async () => {
    const customer = await h.stripe.customers.create({ email: 'secure-saver@example.com' });
    const session = await h.stripe.checkout.sessions.create({
      mode: 'setup',
      customer: customer.id,
      currency: 'usd',
      success_url: 'https://x.test/ok',
    });
    const challengeUrl = `${h.emulator.url}/checkout/${session.id}/authenticate`;
    await submit(session.url!, { card_number: '4000 0027 6000 3184' });
    expect(await (await fetch(challengeUrl)).text()).toContain('saving this card with the card ending 3184');
    const failed = await submit(challengeUrl, { outcome: 'fail' });
    expect(failed.status).toBe(402);
    expect(await failed.text()).toContain('Save card');
    expect((await h.stripe.paymentMethods.list({ customer: customer.id })).data).toEqual([]);

    await submit(session.url!, { card_number: '4000 0027 6000 3184' });
    expect((await submit(challengeUrl, { outcome: 'succeed' })).status).toBe(303);
    const cards = await h.stripe.paymentMethods.list({ customer: customer.id });
    expect(cards.data.map((pm) => pm.card?.last4)).toEqual(['3184']);
  });

  it('refuses line items, a missing currency and a customer that does not exist', async () => {
    const price = await monthlyPrice(h.stripe, 1000);
    const base = { mode: 'setup' as const, success_url: 'https://x.test/ok' };
    await expect(
      h.stripe.checkout.sessions.create({
        ...base,
        currency: 'usd',
        line_items: [{ price: price.id, quantity: 1 }],
      }),
    ).rejects.toMatchObject({ statusCode: 400, param: 'line_items' });
    await expect(h.stripe.checkout.sessions.create(base)).rejects.toMatchObject({
      statusCode: 400,
      param: 'currency',
    });
    await expect(
      h.stripe.checkout.sessions.create({ ...base, currency: 'usd', customer: 'cus_missing' }),
    ).rejects.toMatchObject({ statusCode: 404, param: 'customer' });
  });
});
