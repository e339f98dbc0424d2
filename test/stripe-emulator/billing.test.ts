import type Stripe from 'stripe';
import { customerOnClock, DAY, JAN_1_2025, monthlyPrice, startHarness, type Harness } from './harness';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(() => h.stop());

async function advance(clockId: string, to: number): Promise<void> {
  const clock = await h.stripe.testHelpers.testClocks.advance(clockId, { frozen_time: to });
  expect(clock.status).toBe('ready');
  await h.emulator.waitForWebhooks();
}

const eventsFor = (type: string, id: string) =>
  h.receiver.events.filter((e) => e.type === type && (e.data.object as { id?: string }).id === id);

describe('test cards', () => {
  it('declines 4000000000000002 when it is attached, with a 402 card_error', async () => {
    const customer = await h.stripe.customers.create({ email: 'decline@example.com' });
    const pm = await h.stripe.paymentMethods.create({
      type: 'card',
      card: { number: '4000000000000002', exp_month: 12, exp_year: 2034, cvc: '123' },
    } as Stripe.PaymentMethodCreateParams);
    await expect(h.stripe.paymentMethods.attach(pm.id, { customer: customer.id })).rejects.toMatchObject({
      statusCode: 402,
      type: 'StripeCardError',
      code: 'card_declined',
      decline_code: 'generic_decline',
    });
    await expect(
      h.stripe.paymentMethods.attach('pm_card_chargeDeclined', { customer: customer.id }),
    ).rejects.toMatchObject({
      statusCode: 402,
    });
  });

  it('attaches 4000000000000341 but fails its renewal charge after a test clock advance', async () => {
    const { clock, customer } = await customerOnClock(h.stripe);
    const price = await monthlyPrice(h.stripe, 2000);
    const sub = await h.stripe.subscriptions.create({
      customer: customer.id,
      items: [{ price: price.id }],
      default_payment_method: 'pm_card_visa',
    });
    expect(sub.status).toBe('active');
    const failing = await h.stripe.paymentMethods.attach('pm_card_chargeCustomerFail', {
      customer: customer.id,
    });
    await h.stripe.subscriptions.update(sub.id, { default_payment_method: failing.id });

    await advance(clock.id, JAN_1_2025 + 32 * DAY);

    const renewed = await h.stripe.subscriptions.retrieve(sub.id, { expand: ['latest_invoice'] });
    expect(renewed.status).toBe('past_due');
    const invoice = renewed.latest_invoice as Stripe.Invoice;
    expect(invoice).toMatchObject({
      status: 'open',
      amount_due: 2000,
      attempt_count: 1,
      billing_reason: 'subscription_cycle',
    });
    expect(eventsFor('invoice.payment_failed', invoice.id)).toHaveLength(1);
    const charges = await h.stripe.charges.list({ customer: customer.id });
    expect(charges.data.map((c) => c.status)).toEqual(['failed', 'succeeded']);
  });

  it('puts the payment intent of 4000002500003155 in requires_action and reports payment_action_required', async () => {
    const customer = await h.stripe.customers.create({ email: '3ds@example.com' });
    const price = await monthlyPrice(h.stripe, 1500);
    const sub = await h.stripe.subscriptions.create({
      customer: customer.id,
      items: [{ price: price.id }],
      default_payment_method: 'pm_card_authenticationRequired',
      expand: ['latest_invoice.payment_intent'],
    });
    expect(sub.status).toBe('incomplete');
    const invoice = sub.latest_invoice as Stripe.Invoice & { payment_intent: Stripe.PaymentIntent };
    expect(invoice.payment_intent.status).toBe('requires_action');
    await h.emulator.waitForWebhooks();
    expect(eventsFor('invoice.payment_action_required', invoice.id)).toHaveLength(1);
    h.emulator.authenticatePayment(invoice.payment_intent.id);
    expect((await h.stripe.subscriptions.retrieve(sub.id)).status).toBe('active');
  });
});

describe('trials on a test clock', () => {
  it('bills the first period when a trial ends and a payment method is on file', async () => {
    const { clock, customer } = await customerOnClock(h.stripe);
    const price = await monthlyPrice(h.stripe, 4900);
    const sub = await h.stripe.subscriptions.create({
      customer: customer.id,
      items: [{ price: price.id }],
      trial_period_days: 14,
      default_payment_method: 'pm_card_visa',
    });
    expect(sub).toMatchObject({ status: 'trialing', trial_end: JAN_1_2025 + 14 * DAY });

    await advance(clock.id, JAN_1_2025 + 12 * DAY);
    expect(eventsFor('customer.subscription.trial_will_end', sub.id)).toHaveLength(1);

    await advance(clock.id, JAN_1_2025 + 15 * DAY);
    const after = await h.stripe.subscriptions.retrieve(sub.id, { expand: ['latest_invoice'] });
    expect(after.status).toBe('active');
    expect(after.items.data[0]).toMatchObject({
      current_period_start: JAN_1_2025 + 14 * DAY,
      current_period_end: Date.UTC(2025, 1, 15) / 1000,
    });
    expect(after.latest_invoice).toMatchObject({ status: 'paid', amount_paid: 4900 });
  });

  it('ends a carded trial at its end, unbilled, when cancel_at is the trial end; unset, the trial converts', async () => {
    const { clock, customer } = await customerOnClock(h.stripe);
    const price = await monthlyPrice(h.stripe, 100);
    const trialEnd = JAN_1_2025 + 7 * DAY;
    const create = () =>
      h.stripe.subscriptions.create({
        customer: customer.id,
        items: [{ price: price.id }],
        trial_period_days: 7,
        default_payment_method: 'pm_card_visa',
      });
    const ending = await h.stripe.subscriptions.update((await create()).id, { cancel_at: trialEnd });
    expect(ending).toMatchObject({ status: 'trialing', cancel_at: trialEnd });
    const unset = await h.stripe.subscriptions.update((await create()).id, { cancel_at: trialEnd });
    expect(await h.stripe.subscriptions.update(unset.id, { cancel_at: '' })).toMatchObject({
      cancel_at: null,
    });

    await advance(clock.id, trialEnd + DAY);
    const ended = await h.stripe.subscriptions.retrieve(ending.id, { expand: ['latest_invoice'] });
    expect(ended).toMatchObject({ status: 'canceled', ended_at: trialEnd });
    expect(ended.latest_invoice).toMatchObject({ amount_paid: 0, billing_reason: 'subscription_create' });
    expect(eventsFor('customer.subscription.deleted', ending.id)).toHaveLength(1);
    const converted = await h.stripe.subscriptions.retrieve(unset.id, { expand: ['latest_invoice'] });
    expect(converted.status).toBe('active');
    expect(converted.latest_invoice).toMatchObject({
      amount_paid: 100,
      billing_reason: 'subscription_cycle',
    });
  });

  it('cancels at trial end without a payment method when the end behaviour is cancel', async () => {
    const { clock, customer } = await customerOnClock(h.stripe);
    const price = await monthlyPrice(h.stripe, 900);
    const sub = await h.stripe.subscriptions.create({
      customer: customer.id,
      items: [{ price: price.id }],
      trial_period_days: 7,
      trial_settings: { end_behavior: { missing_payment_method: 'cancel' } },
    });
    await advance(clock.id, JAN_1_2025 + 8 * DAY);
    expect((await h.stripe.subscriptions.retrieve(sub.id)).status).toBe('canceled');
    expect(eventsFor('customer.subscription.deleted', sub.id)).toHaveLength(1);
  });

  it('pauses at trial end without a payment method when the end behaviour is pause, and resumes', async () => {
    const { clock, customer } = await customerOnClock(h.stripe);
    const price = await monthlyPrice(h.stripe, 900);
    const sub = await h.stripe.subscriptions.create({
      customer: customer.id,
      items: [{ price: price.id }],
      trial_period_days: 7,
      trial_settings: { end_behavior: { missing_payment_method: 'pause' } },
    });
    await advance(clock.id, JAN_1_2025 + 8 * DAY);
    expect((await h.stripe.subscriptions.retrieve(sub.id)).status).toBe('paused');
    expect(eventsFor('customer.subscription.paused', sub.id)).toHaveLength(1);

    await h.stripe.customers.update(customer.id, {
      invoice_settings: {
        default_payment_method: (
          await h.stripe.paymentMethods.attach('pm_card_visa', { customer: customer.id })
        ).id,
      },
    });
    const resumed = await h.stripe.subscriptions.resume(sub.id);
    expect(resumed.status).toBe('active');
    await h.emulator.waitForWebhooks();
    expect(eventsFor('customer.subscription.resumed', sub.id)).toHaveLength(1);
  });

  it('leaves the subscription past due when the trial ends without a payment method by default', async () => {
    const { clock, customer } = await customerOnClock(h.stripe);
    const price = await monthlyPrice(h.stripe, 900);
    const sub = await h.stripe.subscriptions.create({
      customer: customer.id,
      items: [{ price: price.id }],
      trial_period_days: 7,
    });
    await advance(clock.id, JAN_1_2025 + 8 * DAY);
    const after = await h.stripe.subscriptions.retrieve(sub.id, { expand: ['latest_invoice'] });
    expect(after.status).toBe('past_due');
    expect(after.latest_invoice).toMatchObject({ status: 'open', amount_due: 900 });
  });
});

describe('plan changes', () => {
  it('prorates an upgrade in cents and invoices it at once with always_invoice', async () => {
    const { clock, customer } = await customerOnClock(h.stripe);
    const basic = await monthlyPrice(h.stripe, 1000, 'Basic');
    const pro = await monthlyPrice(h.stripe, 3000, 'Pro');
    const sub = await h.stripe.subscriptions.create({
      customer: customer.id,
      items: [{ price: basic.id }],
      default_payment_method: 'pm_card_visa',
    });
    // January has 31 days; after 10 of them, 21/31 of the period remains.
    await advance(clock.id, JAN_1_2025 + 10 * DAY);
    const updated = await h.stripe.subscriptions.update(sub.id, {
      items: [{ id: sub.items.data[0]!.id, price: pro.id }],
      proration_behavior: 'always_invoice',
      expand: ['latest_invoice'],
    });
    const invoice = updated.latest_invoice as Stripe.Invoice;
    // Unused basic: 1000 × 21/31 = 677.42 → 677 credited. Remaining pro: 3000 × 21/31 = 2032.26 → 2032.
    expect(invoice.lines.data.map((l) => l.amount).sort((a, b) => a - b)).toEqual([-677, 2032]);
    expect(invoice).toMatchObject({
      total: 1355,
      amount_paid: 1355,
      status: 'paid',
      billing_reason: 'subscription_update',
    });
    expect(updated.items.data[0]!.price.id).toBe(pro.id);
  });

  it('carries create_prorations items to the next renewal invoice', async () => {
    const { clock, customer } = await customerOnClock(h.stripe);
    const basic = await monthlyPrice(h.stripe, 1000, 'Basic');
    const sub = await h.stripe.subscriptions.create({
      customer: customer.id,
      items: [{ price: basic.id, quantity: 1 }],
      default_payment_method: 'pm_card_visa',
    });
    await advance(clock.id, JAN_1_2025 + 15 * DAY);
    await h.stripe.subscriptions.update(sub.id, { items: [{ id: sub.items.data[0]!.id, quantity: 3 }] });
    await advance(clock.id, JAN_1_2025 + 32 * DAY);
    const renewal = (await h.stripe.invoices.list({ subscription: sub.id, limit: 1 })).data[0]!;
    // 16 of 31 days remain: −1000×16/31 = −516.13 → −516, +3000×16/31 = 1548.39 → 1548, then 3 × 1000 for February.
    expect(renewal.lines.data.map((l) => l.amount).sort((a, b) => a - b)).toEqual([-516, 1548, 3000]);
    expect(renewal.amount_paid).toBe(4032);
  });

  it('cancels at period end and immediately', async () => {
    const { clock, customer } = await customerOnClock(h.stripe);
    const price = await monthlyPrice(h.stripe, 1000);
    const a = await h.stripe.subscriptions.create({
      customer: customer.id,
      items: [{ price: price.id }],
      default_payment_method: 'pm_card_visa',
    });
    const b = await h.stripe.subscriptions.create({
      customer: customer.id,
      items: [{ price: price.id }],
      default_payment_method: 'pm_card_visa',
    });
    await h.stripe.subscriptions.update(a.id, { cancel_at_period_end: true });
    expect((await h.stripe.subscriptions.cancel(b.id)).status).toBe('canceled');
    await advance(clock.id, JAN_1_2025 + 32 * DAY);
    const ended = await h.stripe.subscriptions.retrieve(a.id);
    expect(ended).toMatchObject({ status: 'canceled', ended_at: Date.UTC(2025, 1, 1) / 1000 });
  });

  it('voids renewal invoices while collection is paused with behavior void', async () => {
    const { clock, customer } = await customerOnClock(h.stripe);
    const price = await monthlyPrice(h.stripe, 1000);
    const sub = await h.stripe.subscriptions.create({
      customer: customer.id,
      items: [{ price: price.id }],
      default_payment_method: 'pm_card_visa',
    });
    await h.stripe.subscriptions.update(sub.id, { pause_collection: { behavior: 'void' } });
    await advance(clock.id, JAN_1_2025 + 32 * DAY);
    const latest = (await h.stripe.invoices.list({ subscription: sub.id, limit: 1 })).data[0]!;
    expect(latest.status).toBe('void');
  });
});
