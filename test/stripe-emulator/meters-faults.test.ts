import type Stripe from 'stripe';
import { clientFor, customerOnClock, DAY, JAN_1_2025, startHarness, type Harness } from './harness';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(() => h.stop());
afterEach(() => h.emulator.clearFaults());

describe('billing meters', () => {
  it('counts a meter event once per identifier and bills usage at renewal', async () => {
    const eventName = `api_calls_${Date.now()}`;
    const meter = await h.stripe.billing.meters.create({
      display_name: 'API calls',
      event_name: eventName,
      default_aggregation: { formula: 'sum' },
    });
    expect(meter.id).toMatch(/^mtr_/);
    const price = await h.stripe.prices.create({
      currency: 'usd',
      unit_amount: 5,
      recurring: { interval: 'month', usage_type: 'metered', meter: meter.id },
      product_data: { name: 'Calls' },
    });
    const { clock, customer } = await customerOnClock(h.stripe);
    const sub = await h.stripe.subscriptions.create({
      customer: customer.id,
      items: [{ price: price.id }],
      default_payment_method: 'pm_card_visa',
    });

    const send = (identifier: string, value: number) =>
      h.stripe.billing.meterEvents.create({
        event_name: eventName,
        identifier,
        payload: { stripe_customer_id: customer.id, value: String(value) },
      });
    await send('req-1', 100);
    await send('req-1', 100);
    await send('req-2', 20);
    expect(h.emulator.meterUsage(customer.id, meter.id)).toBe(120);
    const summary = await h.stripe.billing.meters.listEventSummaries(meter.id, {
      customer: customer.id,
      start_time: JAN_1_2025,
      end_time: JAN_1_2025 + 31 * DAY,
    });
    expect(summary.data[0]!.aggregated_value).toBe(120);

    await h.stripe.testHelpers.testClocks.advance(clock.id, { frozen_time: JAN_1_2025 + 32 * DAY });
    const renewal = (await h.stripe.invoices.list({ subscription: sub.id, limit: 1 })).data[0]!;
    expect(renewal.lines.data).toEqual([expect.objectContaining({ amount: 600, quantity: 120 })]);
    expect(renewal.status).toBe('paid');
  });
});

describe('fault injection', () => {
  it('fails the next request with a 500 and lets stripe-node retry it', async () => {
    const stripe = clientFor(h.emulator, { maxNetworkRetries: 2 });
    h.emulator.injectFault({ method: 'POST', path: '/v1/customers', kind: 'error500', count: 1 });
    const customer = await stripe.customers.create({ email: 'retry500@example.com' });
    expect(customer.id).toMatch(/^cus_/);
    expect(h.emulator.faults()).toHaveLength(0);
    const created = await stripe.customers.list({ email: 'retry500@example.com' });
    expect(created.data).toHaveLength(1);
  });

  it('answers 429 with Stripe-Should-Retry and surfaces it when retries are off', async () => {
    h.emulator.injectFault({ path: '/v1/customers*', kind: 'rateLimit', count: 1 });
    await expect(h.stripe.customers.list()).rejects.toMatchObject({
      statusCode: 429,
      type: 'StripeRateLimitError',
    });
    await expect(h.stripe.customers.list()).resolves.toMatchObject({ object: 'list' });
  });

  it('drops connections and adds latency through the control API', async () => {
    const res = await fetch(`${h.emulator.url}/_emulator/faults`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      // stripe-node retries a closed connection once even with retries off, so two drops surface the error.
      body: JSON.stringify({ path: '/v1/products/:id', kind: 'drop', count: 2 }),
    });
    expect(res.status).toBe(200);
    const product = await h.stripe.products.create({ name: 'Fragile' });
    await expect(h.stripe.products.retrieve(product.id)).rejects.toMatchObject({
      type: 'StripeConnectionError',
    });
    h.emulator.injectFault({ path: '/v1/products/*', kind: 'latency', latencyMs: 150 });
    const started = Date.now();
    await h.stripe.products.retrieve(product.id);
    expect(Date.now() - started).toBeGreaterThanOrEqual(140);
  });

  it('does not store a keyed request that failed with a 500, so the retry runs it', async () => {
    const stripe = clientFor(h.emulator, { maxNetworkRetries: 1 });
    h.emulator.injectFault({ method: 'POST', path: '/v1/products', kind: 'error500' });
    const product: Stripe.Product = await stripe.products.create(
      { name: 'Once' },
      { idempotencyKey: `p-${Date.now()}` },
    );
    expect(product.name).toBe('Once');
  });
});
