import type Stripe from 'stripe';
import { StripeApiError } from '../../tools/stripe-emulator/errors';
import { customerOnClock, DAY, JAN_1_2025, monthlyPrice, startHarness, type Harness } from './harness';

/**
 * A future `billing_cycle_anchor` at creation, through the API and through Checkout: what Stripe refuses,
 * how the stub before the anchor is billed (or not, with `proration_behavior: none`), and Checkout's
 * `expires_at`. The property test (billing-anchor.property.test.ts) holds the amounts to the engine's model.
 */
let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(() => h.stop());

const JAN_15_2025 = JAN_1_2025 + 14 * DAY;
const FEB_1_2025 = Date.UTC(2025, 1, 1) / 1000;
const MAR_1_2025 = Date.UTC(2025, 2, 1) / 1000;
const HOUR = 3600;

async function advance(clockId: string, to: number): Promise<void> {
  const clock = await h.stripe.testHelpers.testClocks.advance(clockId, { frozen_time: to });
  expect(clock.status).toBe('ready');
}

async function invoicesOf(subscription: string): Promise<Stripe.Invoice[]> {
  return (await h.stripe.invoices.list({ subscription, limit: 100 })).data;
}

function subscriptionSession(
  customer: string,
  price: string,
  subscriptionData: Stripe.Checkout.SessionCreateParams.SubscriptionData,
  extra: Partial<Stripe.Checkout.SessionCreateParams> = {},
) {
  return h.stripe.checkout.sessions.create({
    mode: 'subscription',
    customer,
    line_items: [{ price, quantity: 1 }],
    success_url: 'https://app.example.com/ok',
    subscription_data: subscriptionData,
    ...extra,
  });
}

/** Completing through the emulator's helper throws what the hosted page would show. */
function completionError(sessionId: string): StripeApiError {
  try {
    h.emulator.completeCheckoutSession(sessionId);
  } catch (e) {
    return e as StripeApiError;
  }
  throw new Error('the session completed');
}

describe('billing_cycle_anchor on POST /v1/subscriptions', () => {
  it('refuses an anchor that is not in the future', async () => {
    const { customer } = await customerOnClock(h.stripe, JAN_15_2025);
    const price = await monthlyPrice(h.stripe, 3100);
    for (const anchor of [JAN_15_2025 - DAY, JAN_15_2025]) {
      await expect(
        h.stripe.subscriptions.create({
          customer: customer.id,
          items: [{ price: price.id }],
          default_payment_method: 'pm_card_visa',
          billing_cycle_anchor: anchor,
        }),
      ).rejects.toMatchObject({
        statusCode: 400,
        type: 'StripeInvalidRequestError',
        param: 'billing_cycle_anchor',
      });
    }
    expect((await h.stripe.subscriptions.list({ customer: customer.id })).data).toHaveLength(0);
  });

  it('refuses an anchor later than the natural end of the first period', async () => {
    const { customer } = await customerOnClock(h.stripe, JAN_15_2025);
    const price = await monthlyPrice(h.stripe, 3100);
    const natural = Date.UTC(2025, 1, 15) / 1000;
    const error = await h.stripe.subscriptions
      .create({
        customer: customer.id,
        items: [{ price: price.id }],
        default_payment_method: 'pm_card_visa',
        billing_cycle_anchor: natural + 1,
      })
      .catch((e: Stripe.errors.StripeError) => e);
    expect(error).toMatchObject({ statusCode: 400, param: 'billing_cycle_anchor' });
    expect((error as Stripe.errors.StripeError).message).toContain(
      `later than next natural billing date (${natural})`,
    );
    // The natural date itself is accepted: the whole first month, billed as a stub that covers all of it.
    const sub = await h.stripe.subscriptions.create({
      customer: customer.id,
      items: [{ price: price.id }],
      default_payment_method: 'pm_card_visa',
      billing_cycle_anchor: natural,
    });
    expect(sub).toMatchObject({ status: 'active', billing_cycle_anchor: natural });
  });

  it('refuses an anchor before the trial ends, and measures the natural end from the trial end', async () => {
    const { customer } = await customerOnClock(h.stripe, JAN_15_2025);
    const price = await monthlyPrice(h.stripe, 3100);
    const base = {
      customer: customer.id,
      items: [{ price: price.id }],
      default_payment_method: 'pm_card_visa',
    };
    await expect(
      h.stripe.subscriptions.create({ ...base, trial_period_days: 20, billing_cycle_anchor: FEB_1_2025 }),
    ).rejects.toMatchObject({ statusCode: 400, param: 'billing_cycle_anchor' });
    // Trial to Feb 4; Mar 1 is within a month of it (not of now, Jan 15).
    const sub = await h.stripe.subscriptions.create({
      ...base,
      trial_period_days: 20,
      billing_cycle_anchor: MAR_1_2025,
    });
    expect(sub).toMatchObject({ status: 'trialing', billing_cycle_anchor: MAR_1_2025 });
    expect(sub.items.data[0]).toMatchObject({
      current_period_start: JAN_15_2025,
      current_period_end: JAN_15_2025 + 20 * DAY,
    });
  });

  it('bills the stub before the anchor prorated, then full periods on the anchor’s day', async () => {
    const { clock, customer } = await customerOnClock(h.stripe, JAN_15_2025);
    const price = await monthlyPrice(h.stripe, 3100, 'Team');
    const jan31 = Date.UTC(2025, 0, 31) / 1000;
    const sub = await h.stripe.subscriptions.create({
      customer: customer.id,
      items: [{ price: price.id }],
      default_payment_method: 'pm_card_visa',
      billing_cycle_anchor: jan31,
    });
    expect(sub).toMatchObject({ status: 'active', billing_cycle_anchor: jan31 });
    expect(sub.items.data[0]).toMatchObject({ current_period_start: JAN_15_2025, current_period_end: jan31 });
    const [first] = await invoicesOf(sub.id);
    // 16 of the 31 days from Dec 31 to Jan 31: 3100 × 16/31.
    expect(first).toMatchObject({ billing_reason: 'subscription_create', total: 1600, amount_paid: 1600 });
    expect(first!.lines.data[0]).toMatchObject({
      amount: 1600,
      period: { start: JAN_15_2025, end: jan31 },
      description: 'Remaining time on 1 × Team after 15 Jan 2025',
      parent: { subscription_item_details: { proration: true } },
    });

    // The preview is the full-price renewal on the anchor.
    const preview = await h.stripe.invoices.createPreview({ subscription: sub.id });
    expect(preview.total).toBe(3100);
    expect(preview.lines.data[0]?.period).toEqual({ start: jan31, end: Date.UTC(2025, 1, 28) / 1000 });

    await advance(clock.id, Date.UTC(2025, 2, 31) / 1000);
    const periods = (await invoicesOf(sub.id))
      .filter((i) => i.billing_reason === 'subscription_cycle')
      .map((i) => ({ total: i.total, period: i.lines.data[0]?.period }))
      .reverse();
    // The anchor's day, clamped to February's length, and back to the 31st in March.
    expect(periods).toEqual([
      { total: 3100, period: { start: jan31, end: Date.UTC(2025, 1, 28) / 1000 } },
      { total: 3100, period: { start: Date.UTC(2025, 1, 28) / 1000, end: Date.UTC(2025, 2, 31) / 1000 } },
      { total: 3100, period: { start: Date.UTC(2025, 2, 31) / 1000, end: Date.UTC(2025, 3, 30) / 1000 } },
    ]);
  });

  it('with proration_behavior none, makes the stub free with no invoice and bills in full on the anchor', async () => {
    const { clock, customer } = await customerOnClock(h.stripe, JAN_15_2025);
    const price = await monthlyPrice(h.stripe, 3100);
    const sub = await h.stripe.subscriptions.create({
      customer: customer.id,
      items: [{ price: price.id }],
      default_payment_method: 'pm_card_visa',
      billing_cycle_anchor: FEB_1_2025,
      proration_behavior: 'none',
    });
    expect(sub).toMatchObject({ status: 'active', latest_invoice: null, billing_cycle_anchor: FEB_1_2025 });
    expect(await invoicesOf(sub.id)).toHaveLength(0);
    await advance(clock.id, FEB_1_2025);
    const [renewal] = await invoicesOf(sub.id);
    expect(renewal).toMatchObject({ billing_reason: 'subscription_cycle', total: 3100, status: 'paid' });
    expect(renewal!.lines.data[0]?.period).toEqual({ start: FEB_1_2025, end: MAR_1_2025 });
  });

  it('after a trial, bills the stub from the trial’s end to the anchor (free with none), then full periods', async () => {
    const { clock, customer } = await customerOnClock(h.stripe, JAN_15_2025);
    const price = await monthlyPrice(h.stripe, 3100);
    const trialEnd = JAN_15_2025 + 7 * DAY;
    const base = {
      customer: customer.id,
      items: [{ price: price.id }],
      default_payment_method: 'pm_card_visa',
      trial_end: trialEnd,
      billing_cycle_anchor: FEB_1_2025,
    };
    const prorated = await h.stripe.subscriptions.create(base);
    const free = await h.stripe.subscriptions.create({ ...base, proration_behavior: 'none' });
    const preview = await h.stripe.invoices.createPreview({ subscription: prorated.id });
    // Jan 22 → Feb 1: 10 of January's 31 days.
    expect(preview.total).toBe(1000);
    await advance(clock.id, trialEnd);
    const [stub] = await invoicesOf(prorated.id);
    expect(stub).toMatchObject({ billing_reason: 'subscription_cycle', total: 1000, status: 'paid' });
    expect(stub!.lines.data[0]?.period).toEqual({ start: trialEnd, end: FEB_1_2025 });
    expect((await invoicesOf(free.id)).map((i) => i.total)).toEqual([0]);
    for (const id of [prorated.id, free.id]) {
      expect(await h.stripe.subscriptions.retrieve(id)).toMatchObject({
        status: 'active',
        items: { data: [{ current_period_start: trialEnd, current_period_end: FEB_1_2025 }] },
      });
    }
    await advance(clock.id, FEB_1_2025);
    for (const id of [prorated.id, free.id]) {
      const [renewal] = await invoicesOf(id);
      expect(renewal).toMatchObject({ total: 3100, status: 'paid' });
      expect(renewal!.lines.data[0]?.period).toEqual({ start: FEB_1_2025, end: MAR_1_2025 });
    }
  });

  it('refuses a trial_end moved past the anchor, and moves an anchor that was the trial’s own end', async () => {
    const { customer } = await customerOnClock(h.stripe, JAN_15_2025);
    const price = await monthlyPrice(h.stripe, 3100);
    const anchored = await h.stripe.subscriptions.create({
      customer: customer.id,
      items: [{ price: price.id }],
      trial_period_days: 7,
      billing_cycle_anchor: FEB_1_2025,
    });
    await expect(
      h.stripe.subscriptions.update(anchored.id, { trial_end: FEB_1_2025 + DAY }),
    ).rejects.toMatchObject({
      statusCode: 400,
      param: 'trial_end',
      code: 'subscription_update_trial_after_billing_cycle_anchor',
    });
    const plain = await h.stripe.subscriptions.create({
      customer: customer.id,
      items: [{ price: price.id }],
      trial_period_days: 7,
    });
    const moved = await h.stripe.subscriptions.update(plain.id, { trial_end: JAN_15_2025 + 3 * DAY });
    expect(moved).toMatchObject({
      trial_end: JAN_15_2025 + 3 * DAY,
      billing_cycle_anchor: JAN_15_2025 + 3 * DAY,
    });
  });
});

describe('billing_cycle_anchor in Checkout', () => {
  it('refuses an anchor in the past or beyond one interval, naming subscription_data[billing_cycle_anchor]', async () => {
    const { customer } = await customerOnClock(h.stripe, JAN_15_2025);
    const price = await monthlyPrice(h.stripe, 3100);
    for (const anchor of [JAN_15_2025 - HOUR, JAN_15_2025, Date.UTC(2025, 1, 15) / 1000 + 1]) {
      await expect(
        subscriptionSession(customer.id, price.id, { billing_cycle_anchor: anchor }),
      ).rejects.toMatchObject({
        statusCode: 400,
        type: 'StripeInvalidRequestError',
        param: 'subscription_data[billing_cycle_anchor]',
      });
    }
  });

  it('refuses an anchor with a trial, as Checkout takes one or the other', async () => {
    const { customer } = await customerOnClock(h.stripe, JAN_15_2025);
    const price = await monthlyPrice(h.stripe, 3100);
    await expect(
      subscriptionSession(customer.id, price.id, { billing_cycle_anchor: MAR_1_2025, trial_period_days: 7 }),
    ).rejects.toMatchObject({
      statusCode: 400,
      param: 'subscription_data[billing_cycle_anchor]',
      message: 'You may only specify one of these parameters: billing_cycle_anchor, trial_period_days.',
    });
    await expect(
      subscriptionSession(customer.id, price.id, {
        billing_cycle_anchor: MAR_1_2025,
        trial_end: JAN_15_2025 + 7 * DAY,
      }),
    ).rejects.toMatchObject({
      statusCode: 400,
      message: 'You may only specify one of these parameters: billing_cycle_anchor, trial_end.',
    });
    // A trial_end alone must be two days away at least.
    await expect(
      subscriptionSession(customer.id, price.id, { trial_end: JAN_15_2025 + 2 * DAY - 1 }),
    ).rejects.toMatchObject({ statusCode: 400, param: 'subscription_data[trial_end]' });
    const trial = await subscriptionSession(customer.id, price.id, { trial_end: JAN_15_2025 + 2 * DAY });
    expect(trial.amount_total).toBe(0);
    h.emulator.completeCheckoutSession(trial.id);
    const done = await h.stripe.checkout.sessions.retrieve(trial.id, { expand: ['subscription'] });
    expect(done.subscription).toMatchObject({ status: 'trialing', trial_end: JAN_15_2025 + 2 * DAY });
  });

  it('charges the prorated stub at checkout and shows it as the session’s amounts', async () => {
    const { customer } = await customerOnClock(h.stripe, JAN_15_2025);
    const price = await monthlyPrice(h.stripe, 3100);
    const fee = await h.stripe.prices.create({
      currency: 'usd',
      unit_amount: 500,
      product_data: { name: 'Fee' },
    });
    const session = await h.stripe.checkout.sessions.create({
      mode: 'subscription',
      customer: customer.id,
      line_items: [
        { price: price.id, quantity: 2 },
        { price: fee.id, quantity: 1 },
      ],
      success_url: 'https://app.example.com/ok',
      subscription_data: { billing_cycle_anchor: FEB_1_2025, proration_behavior: 'create_prorations' },
    });
    // 6200 × 17/31 = 3400, and the one-time fee.
    expect(session).toMatchObject({ amount_subtotal: 3900, amount_total: 3900 });
    const items = await h.stripe.checkout.sessions.listLineItems(session.id);
    expect(items.data.map((i) => i.amount_total)).toEqual([3400, 500]);
    h.emulator.completeCheckoutSession(session.id);
    const done = await h.stripe.checkout.sessions.retrieve(session.id, {
      expand: ['subscription', 'invoice'],
    });
    expect(done).toMatchObject({ status: 'complete', payment_status: 'paid', amount_total: 3900 });
    expect(done.invoice).toMatchObject({ total: 3900, amount_paid: 3900 });
    expect(done.subscription).toMatchObject({
      billing_cycle_anchor: FEB_1_2025,
      items: { data: [{ current_period_start: JAN_15_2025, current_period_end: FEB_1_2025 }] },
    });
  });

  it('with proration_behavior none, charges nothing at checkout and makes no invoice', async () => {
    const { customer } = await customerOnClock(h.stripe, JAN_15_2025);
    const price = await monthlyPrice(h.stripe, 3100);
    const session = await subscriptionSession(customer.id, price.id, {
      billing_cycle_anchor: FEB_1_2025,
      proration_behavior: 'none',
    });
    expect(session).toMatchObject({ amount_subtotal: 0, amount_total: 0 });
    h.emulator.completeCheckoutSession(session.id);
    const done = await h.stripe.checkout.sessions.retrieve(session.id, { expand: ['subscription'] });
    expect(done).toMatchObject({ status: 'complete', payment_status: 'no_payment_required', invoice: null });
    expect(done.subscription).toMatchObject({ status: 'active', latest_invoice: null });
  });

  it('refuses a proration_behavior Checkout does not take', async () => {
    const { customer } = await customerOnClock(h.stripe, JAN_15_2025);
    const price = await monthlyPrice(h.stripe, 3100);
    await expect(
      subscriptionSession(customer.id, price.id, {
        billing_cycle_anchor: FEB_1_2025,
        proration_behavior: 'always_invoice' as 'none',
      }),
    ).rejects.toMatchObject({ statusCode: 400, param: 'subscription_data[proration_behavior]' });
  });

  it('charges the full period from the anchor when the customer pays after it has passed', async () => {
    const lastHour = FEB_1_2025 - HOUR;
    const { clock, customer } = await customerOnClock(h.stripe, lastHour);
    const price = await monthlyPrice(h.stripe, 3100);
    const session = await subscriptionSession(customer.id, price.id, { billing_cycle_anchor: FEB_1_2025 });
    expect(session.amount_total).toBe(4); // an hour of January: 3100 × 3600 / (31 × 86400), rounded
    await advance(clock.id, FEB_1_2025 + 2 * HOUR);
    expect(await h.stripe.checkout.sessions.retrieve(session.id)).toMatchObject({
      status: 'open',
      amount_total: 3100,
    });
    h.emulator.completeCheckoutSession(session.id);
    const done = await h.stripe.checkout.sessions.retrieve(session.id, {
      expand: ['subscription', 'invoice'],
    });
    expect(done.invoice).toMatchObject({ total: 3100, amount_paid: 3100 });
    expect(done.subscription).toMatchObject({
      status: 'active',
      billing_cycle_anchor: FEB_1_2025,
      items: { data: [{ current_period_start: FEB_1_2025, current_period_end: MAR_1_2025 }] },
    });
  });
});

describe('Checkout expires_at', () => {
  it('takes half an hour to a day, and refuses anything else', async () => {
    const { customer } = await customerOnClock(h.stripe, JAN_15_2025);
    const price = await monthlyPrice(h.stripe, 3100);
    for (const expires of [JAN_15_2025 + 30 * 60 - 1, JAN_15_2025 + DAY + 1]) {
      await expect(
        subscriptionSession(customer.id, price.id, {}, { expires_at: expires }),
      ).rejects.toMatchObject({ statusCode: 400, param: 'expires_at' });
    }
    for (const expires of [JAN_15_2025 + 30 * 60, JAN_15_2025 + DAY]) {
      const s = await subscriptionSession(customer.id, price.id, {}, { expires_at: expires });
      expect(s.expires_at).toBe(expires);
    }
    const byDefault = await subscriptionSession(customer.id, price.id, {});
    expect(byDefault.expires_at).toBe(JAN_15_2025 + DAY);
  });

  it('expires a session at expires_at: it can no longer be completed', async () => {
    const { clock, customer } = await customerOnClock(h.stripe, JAN_15_2025);
    const price = await monthlyPrice(h.stripe, 3100);
    const expiresAt = JAN_15_2025 + HOUR;
    const session = await subscriptionSession(
      customer.id,
      price.id,
      { billing_cycle_anchor: FEB_1_2025 },
      { expires_at: expiresAt },
    );
    await advance(clock.id, expiresAt);
    const expired = await h.stripe.checkout.sessions.retrieve(session.id);
    expect(expired).toMatchObject({ status: 'expired', url: null });
    const error = completionError(session.id);
    expect(error).toBeInstanceOf(StripeApiError);
    expect(error.status).toBe(400);
    expect(error.body).toMatchObject({
      type: 'invalid_request_error',
      message: 'This Checkout Session is expired.',
    });
    const page = await fetch(session.url!);
    expect(page.status).toBe(410);
    await h.emulator.waitForWebhooks();
    const events = h.receiver.events.filter(
      (e) => e.type === 'checkout.session.expired' && (e.data.object as { id: string }).id === session.id,
    );
    expect(events).toHaveLength(1);
    expect((await h.stripe.subscriptions.list({ customer: customer.id })).data).toHaveLength(0);
  });
});
