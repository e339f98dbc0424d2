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

describe('tiered metered prices', () => {
  async function tieredSetup(tiersMode: 'graduated' | 'volume', tiers: Stripe.PriceCreateParams.Tier[]) {
    const eventName = `tiered_${tiersMode}_${Date.now()}`;
    const meter = await h.stripe.billing.meters.create({
      display_name: 'Credits',
      event_name: eventName,
      default_aggregation: { formula: 'sum' },
    });
    const price = await h.stripe.prices.create({
      currency: 'usd',
      billing_scheme: 'tiered',
      tiers_mode: tiersMode,
      tiers,
      recurring: { interval: 'month', usage_type: 'metered', meter: meter.id },
      product_data: { name: 'Credits' },
      // Stripe sends a price's tiers only when asked.
      expand: ['tiers'],
    });
    const { clock, customer } = await customerOnClock(h.stripe);
    const sub = await h.stripe.subscriptions.create({
      customer: customer.id,
      items: [{ price: price.id }],
      default_payment_method: 'pm_card_visa',
    });
    const use = (value: number) =>
      h.stripe.billing.meterEvents.create({
        event_name: eventName,
        identifier: `use-${value}-${Math.random()}`,
        payload: { stripe_customer_id: customer.id, value: String(value) },
      });
    const renewal = async () => {
      await h.stripe.testHelpers.testClocks.advance(clock.id, { frozen_time: JAN_1_2025 + 32 * DAY });
      return (await h.stripe.invoices.list({ subscription: sub.id, limit: 1 })).data[0]!;
    };
    return { price, use, renewal };
  }

  it('bills only the units beyond a free first tier, at a sub-cent unit price rounded once', async () => {
    const { price, use, renewal } = await tieredSetup('graduated', [
      { up_to: 500, unit_amount: 0 },
      { up_to: 'inf', unit_amount_decimal: '0.15' },
    ]);
    expect(price).toMatchObject({ billing_scheme: 'tiered', tiers_mode: 'graduated', unit_amount: null });
    expect(price.tiers).toEqual([
      expect.objectContaining({ up_to: 500, unit_amount: 0 }),
      expect.objectContaining({ up_to: null, unit_amount_decimal: '0.15' }),
    ]);
    await use(300);
    await use(285);
    // 85 units over at 0.15¢ = 12.75¢, rounded half up to 13¢.
    const invoice = await renewal();
    expect(invoice.lines.data).toEqual([expect.objectContaining({ amount: 13, quantity: 585 })]);
  });

  it('prices every unit at the tier the total lands in when tiers are by volume', async () => {
    const { use, renewal } = await tieredSetup('volume', [
      { up_to: 100, unit_amount: 10 },
      { up_to: 'inf', unit_amount: 5, flat_amount: 100 },
    ]);
    await use(150);
    const invoice = await renewal();
    expect(invoice.lines.data).toEqual([expect.objectContaining({ amount: 850, quantity: 150 })]);
  });

  it('refuses tiers that do not end at inf and a quantity on a metered Checkout line', async () => {
    await expect(
      h.stripe.prices.create({
        currency: 'usd',
        billing_scheme: 'tiered',
        tiers_mode: 'graduated',
        tiers: [{ up_to: 10, unit_amount: 0 }],
        recurring: { interval: 'month' },
        product_data: { name: 'Bad' },
      }),
    ).rejects.toMatchObject({ type: 'StripeInvalidRequestError', param: 'tiers[0][up_to]' });

    const meter = await h.stripe.billing.meters.create({
      display_name: 'Credits',
      event_name: `checkout_${Date.now()}`,
      default_aggregation: { formula: 'sum' },
    });
    const metered = await h.stripe.prices.create({
      currency: 'usd',
      unit_amount_decimal: '0.2',
      recurring: { interval: 'month', usage_type: 'metered', meter: meter.id },
      product_data: { name: 'Usage' },
    });
    const customer = await h.stripe.customers.create({ email: 'metered-checkout@example.com' });
    await expect(
      h.stripe.checkout.sessions.create({
        mode: 'subscription',
        customer: customer.id,
        line_items: [{ price: metered.id, quantity: 1 }],
        success_url: 'https://example.com/ok',
      }),
    ).rejects.toMatchObject({ param: 'line_items[0][quantity]' });
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

  it('refuses the next request with a 400 that stripe-node does not retry, and only that one', async () => {
    const stripe = clientFor(h.emulator, { maxNetworkRetries: 2 });
    const customer = await stripe.customers.create({ email: 'refused400@example.com' });
    h.emulator.injectFault({
      method: 'POST',
      path: '/v1/customers/:id/balance_transactions',
      kind: 'invalidRequest',
    });
    const credit = { amount: -500, currency: 'usd' };
    await expect(stripe.customers.createBalanceTransaction(customer.id, credit)).rejects.toMatchObject({
      statusCode: 400,
      type: 'StripeInvalidRequestError',
    });
    // Nothing was made by the refused request, and the next one goes through.
    expect((await stripe.customers.listBalanceTransactions(customer.id)).data).toHaveLength(0);
    await expect(stripe.customers.createBalanceTransaction(customer.id, credit)).resolves.toMatchObject({
      amount: -500,
    });
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
