import Stripe from 'stripe';
import { clientFor, startHarness, type Harness } from './harness';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(() => h.stop());

describe('server core', () => {
  it('creates, retrieves, updates and lists customers with Stripe-shaped objects', async () => {
    const created = await h.stripe.customers.create({
      email: 'ada@example.com',
      name: 'Ada',
      metadata: { plan: 'pro' },
    });
    expect(created.id).toMatch(/^cus_/);
    expect(created).toMatchObject({ object: 'customer', livemode: false, metadata: { plan: 'pro' } });
    expect(Number.isInteger(created.created)).toBe(true);

    const updated = await h.stripe.customers.update(created.id, { metadata: { plan: '', seats: '3' } });
    expect(updated.metadata).toEqual({ seats: '3' });

    const listed = await h.stripe.customers.list({ email: 'ada@example.com' });
    expect(listed.object).toBe('list');
    expect(listed.data.map((c) => c.id)).toEqual([created.id]);
  });

  it('finds customers by email through search', async () => {
    const email = `search-${Date.now()}@example.com`;
    const c = await h.stripe.customers.create({ email });
    await h.stripe.customers.create({ email: 'someone-else@example.com' });
    const result = await h.stripe.customers.search({ query: `email:'${email}'` });
    expect(result.data.map((x) => x.id)).toEqual([c.id]);
  });

  it('paginates lists newest first with starting_after and ending_before', async () => {
    const product = await h.stripe.products.create({ name: `Paged ${Date.now()}` });
    const prices: string[] = [];
    for (let i = 0; i < 5; i++) {
      prices.push(
        (await h.stripe.prices.create({ product: product.id, currency: 'usd', unit_amount: 100 + i })).id,
      );
    }
    const newestFirst = [...prices].reverse();
    const first = await h.stripe.prices.list({ product: product.id, limit: 2 });
    expect(first.data.map((p) => p.id)).toEqual(newestFirst.slice(0, 2));
    expect(first.has_more).toBe(true);
    const second = await h.stripe.prices.list({
      product: product.id,
      limit: 2,
      starting_after: first.data[1]!.id,
    });
    expect(second.data.map((p) => p.id)).toEqual(newestFirst.slice(2, 4));
    const back = await h.stripe.prices.list({
      product: product.id,
      limit: 2,
      ending_before: second.data[0]!.id,
    });
    expect(back.data.map((p) => p.id)).toEqual(newestFirst.slice(0, 2));
    const all: string[] = [];
    for await (const p of h.stripe.prices.list({ product: product.id, limit: 2 })) all.push(p.id);
    expect(all).toEqual(newestFirst);
  });

  it('filters prices by lookup key and moves a key with transfer_lookup_key', async () => {
    const key = `pro_monthly_${Date.now()}`;
    const a = await h.stripe.prices.create({
      currency: 'usd',
      unit_amount: 1000,
      recurring: { interval: 'month' },
      product_data: { name: 'Pro' },
      lookup_key: key,
    });
    await expect(
      h.stripe.prices.create({
        currency: 'usd',
        unit_amount: 1200,
        product: a.product as string,
        lookup_key: key,
      }),
    ).rejects.toMatchObject({ statusCode: 400, type: 'StripeInvalidRequestError' });
    const b = await h.stripe.prices.create({
      currency: 'usd',
      unit_amount: 1200,
      product: a.product as string,
      lookup_key: key,
      transfer_lookup_key: true,
    });
    const found = await h.stripe.prices.list({ lookup_keys: [key] });
    expect(found.data.map((p) => p.id)).toEqual([b.id]);
  });

  it('answers unknown ids with a 404 resource_missing error envelope', async () => {
    await expect(h.stripe.customers.retrieve('cus_missing')).rejects.toMatchObject({
      statusCode: 404,
      code: 'resource_missing',
      param: 'id',
      type: 'StripeInvalidRequestError',
    });
  });

  it('rejects requests without a test secret key with 401', async () => {
    const res = await fetch(`${h.emulator.url}/v1/customers`);
    expect(res.status).toBe(401);
    const body = (await res.json()) as { error: { type: string } };
    expect(body.error.type).toBe('invalid_request_error');
    const wrong = new Stripe('sk_live_nope', { host: '127.0.0.1', port: h.emulator.port, protocol: 'http' });
    await expect(wrong.customers.list()).rejects.toMatchObject({ statusCode: 401 });
  });

  it('replays an idempotent request and refuses the key with other params', async () => {
    const key = `idem-${Date.now()}`;
    const first = await h.stripe.customers.create({ email: 'idem@example.com' }, { idempotencyKey: key });
    const again = await h.stripe.customers.create({ email: 'idem@example.com' }, { idempotencyKey: key });
    expect(again.id).toBe(first.id);
    expect(again.lastResponse.headers['idempotent-replayed']).toBe('true');
    await expect(
      h.stripe.customers.create({ email: 'other@example.com' }, { idempotencyKey: key }),
    ).rejects.toMatchObject({
      statusCode: 400,
      type: 'StripeIdempotencyError',
    });
  });

  it('scopes idempotency keys to the API key', async () => {
    const key = `scoped-${Date.now()}`;
    const other = clientFor(h.emulator);
    const otherKey = new Stripe('sk_test_other', {
      host: '127.0.0.1',
      port: h.emulator.port,
      protocol: 'http',
    });
    const a = await other.customers.create({ email: 'a@example.com' }, { idempotencyKey: key });
    const b = await otherKey.customers.create({ email: 'b@example.com' }, { idempotencyKey: key });
    expect(b.id).not.toBe(a.id);
  });

  it('expands references on retrieve and on lists', async () => {
    const customer = await h.stripe.customers.create({
      email: 'expand@example.com',
      payment_method: 'pm_card_visa',
    });
    const [pm] = (await h.stripe.customers.listPaymentMethods(customer.id)).data;
    await h.stripe.customers.update(customer.id, { invoice_settings: { default_payment_method: pm!.id } });
    const c = await h.stripe.customers.retrieve(customer.id, {
      expand: ['invoice_settings.default_payment_method'],
    });
    const dpm = (c as Stripe.Customer).invoice_settings.default_payment_method as Stripe.PaymentMethod;
    expect(dpm.card?.last4).toBe('4242');
    const price = await h.stripe.prices.create({
      currency: 'usd',
      unit_amount: 500,
      recurring: { interval: 'month' },
      product_data: { name: 'X' },
    });
    const sub = await h.stripe.subscriptions.create({
      customer: customer.id,
      items: [{ price: price.id }],
      default_payment_method: pm!.id,
    });
    const subs = await h.stripe.subscriptions.list({
      customer: customer.id,
      expand: ['data.default_payment_method', 'data.customer'],
    });
    expect((subs.data[0]!.default_payment_method as Stripe.PaymentMethod).id).toBe(pm!.id);
    expect((subs.data[0]!.customer as Stripe.Customer).email).toBe('expand@example.com');
    const withInvoice = await h.stripe.subscriptions.retrieve(sub.id, {
      expand: ['latest_invoice.payment_intent'],
    });
    const invoice = withInvoice.latest_invoice as Stripe.Invoice & { payment_intent: Stripe.PaymentIntent };
    expect(invoice.status).toBe('paid');
    expect(invoice.payment_intent.status).toBe('succeeded');
  });
});
