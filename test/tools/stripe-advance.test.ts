import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import Stripe from 'stripe';
import { advanceCustomerClock, parseArgs } from '../../tools/stripe-advance';
import { startStripeEmulator, type StripeEmulator } from '../../tools/stripe-emulator';
import {
  clientFor,
  DAY,
  monthlyPrice,
  startReceiver,
  WEBHOOK_SECRET,
  type WebhookReceiver,
} from '../stripe-emulator/harness';

const run = promisify(execFile);

let emulator: StripeEmulator;
let receiver: WebhookReceiver;
let stripe: Stripe;

beforeAll(async () => {
  receiver = await startReceiver(new Stripe('sk_test_verifier'));
  emulator = await startStripeEmulator({
    port: 0,
    autoTestClock: true,
    webhook: { url: receiver.url, secret: WEBHOOK_SECRET },
    webhookBehavior: { retryDelaysMs: [] },
  });
  stripe = clientFor(emulator);
});
afterAll(async () => {
  await emulator.stop();
  await receiver.stop();
});

async function subscriber(email: string, amount: number, paymentMethod = 'pm_card_visa') {
  const customer = await stripe.customers.create({ email });
  const price = await monthlyPrice(stripe, amount);
  const sub = await stripe.subscriptions.create({
    customer: customer.id,
    items: [{ price: price.id }],
    default_payment_method: paymentMethod,
  });
  return { customer, sub };
}

describe('stripe:advance', () => {
  it('moves a development customer 31 days on, so the emulator bills the renewal and sends its event', async () => {
    const { customer, sub } = await subscriber('renew@example.com', 2900);
    const clock = await stripe.testHelpers.testClocks.retrieve(customer.test_clock as string);

    const report = await advanceCustomerClock(stripe, { email: 'renew@example.com', days: 31 });

    expect(report).toMatchObject({
      clock: clock.id,
      from: clock.frozen_time,
      to: clock.frozen_time + 31 * DAY,
    });
    expect(report.invoices.map((i) => [i.reason, i.amountDue, i.status])).toEqual([
      ['subscription_cycle', 2900, 'paid'],
    ]);
    expect(report.subscriptions).toEqual([expect.objectContaining({ id: sub.id, status: 'active' })]);
    await emulator.waitForWebhooks();
    const paid = receiver.events.filter(
      (e) => e.type === 'invoice.paid' && (e.data.object as Stripe.Invoice).id === report.invoices[0]?.id,
    );
    expect(paid).toHaveLength(1);
  });

  it('takes a customer into dunning when the renewal charge fails', async () => {
    const { customer, sub } = await subscriber('dunning@example.com', 1500);
    const failing = await stripe.paymentMethods.attach('pm_card_chargeCustomerFail', {
      customer: customer.id,
    });
    await stripe.subscriptions.update(sub.id, { default_payment_method: failing.id });

    const report = await advanceCustomerClock(stripe, { customer: customer.id, days: 31 });

    expect(report.subscriptions).toEqual([expect.objectContaining({ id: sub.id, status: 'past_due' })]);
    expect(report.invoices.map((i) => [i.reason, i.status])).toEqual([['subscription_cycle', 'open']]);
  });

  it('refuses an unknown email, a customer with no test clock, and a move backwards, saying why', async () => {
    await expect(advanceCustomerClock(stripe, { email: 'nobody@example.com', days: 1 })).rejects.toThrow(
      /no Stripe customer with email nobody@example.com/,
    );
    const { customer } = await subscriber('back@example.com', 100);
    const clock = await stripe.testHelpers.testClocks.retrieve(customer.test_clock as string);
    await expect(
      advanceCustomerClock(stripe, { customer: customer.id, to: clock.frozen_time - DAY }),
    ).rejects.toThrow(/only moves forward/);

    const plain = await startStripeEmulator({ port: 0 });
    try {
      const unclocked = await clientFor(plain).customers.create({ email: 'plain@example.com' });
      await expect(
        advanceCustomerClock(clientFor(plain), { email: 'plain@example.com', days: 1 }),
      ).rejects.toThrow(new RegExp(`customer ${unclocked.id} has no test clock`));
    } finally {
      await plain.stop();
    }
  });

  it('reads --email/--customer with --days/--to, and rejects anything else', () => {
    expect(parseArgs(['--email', 'a@example.com', '--days', '31'])).toEqual({
      email: 'a@example.com',
      days: 31,
    });
    expect(parseArgs(['--customer', 'cus_1', '--to', '2026-03-01T00:00:00Z'])).toEqual({
      customer: 'cus_1',
      to: Date.UTC(2026, 2, 1) / 1000,
    });
    expect(() => parseArgs(['--days', '31'])).toThrow(/--email or --customer/);
    expect(() => parseArgs(['--email', 'a@example.com'])).toThrow(/--days or --to/);
    expect(() => parseArgs(['--email', 'a@example.com', '--days', '-2'])).toThrow(/positive/);
    expect(() => parseArgs(['--email', '--days', '3'])).toThrow(/--email needs a value/);
  });

  it('runs as npm run stripe:advance against the emulator named by STRIPE_API_BASE', async () => {
    await subscriber('cli@example.com', 900);
    const { stdout } = await run(
      process.execPath,
      [require.resolve('tsx/cli'), 'tools/stripe-advance.ts', '--email', 'cli@example.com', '--days', '31'],
      { env: { ...process.env, STRIPE_API_BASE: emulator.url, STRIPE_SECRET_KEY: undefined } },
    );
    expect(stdout).toMatch(/invoice in_\w+ \(subscription_cycle\) 900 cents: paid/);
    expect(stdout).toMatch(/Not moved: the engine's own Temporal timers/);
  });
});
