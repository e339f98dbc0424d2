import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type Stripe from 'stripe';
import { startStripeEmulator, type StripeEmulator } from '../../tools/stripe-emulator';
import { freePort } from '../helpers/api';
import { clientFor, DAY, monthlyPrice } from './harness';

let dir: string;
const running: StripeEmulator[] = [];
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'emulator-state-'));
});
afterEach(async () => {
  for (const e of running.splice(0)) await e.stop();
  rmSync(dir, { recursive: true, force: true });
});

async function start(opts: { statePath?: string; autoTestClock?: boolean } = {}): Promise<StripeEmulator> {
  const emulator = await startStripeEmulator({ port: 0, ...opts });
  running.push(emulator);
  return emulator;
}

async function stop(emulator: StripeEmulator): Promise<void> {
  running.splice(running.indexOf(emulator), 1);
  await emulator.stop();
}

describe('emulator state file', () => {
  it('gives back customers, subscriptions, invoices, prices, clocks and endpoints after a restart', async () => {
    const statePath = join(dir, 'stripe.json');
    const first = await start({ statePath });
    const stripe = clientFor(first);
    const clock = await stripe.testHelpers.testClocks.create({ frozen_time: 1_735_689_600 });
    const customer = await stripe.customers.create({
      email: 'kept@example.com',
      test_clock: clock.id,
      metadata: { user_id: 'u-1' },
    });
    const price = await monthlyPrice(stripe, 2900, 'Pro');
    const sub = await stripe.subscriptions.create({
      customer: customer.id,
      items: [{ price: price.id }],
      default_payment_method: 'pm_card_visa',
    });
    const endpoint = await stripe.webhookEndpoints.create({
      url: 'http://127.0.0.1:1/hook',
      enabled_events: ['invoice.paid'],
    });
    await stop(first);

    const second = await start({ statePath });
    const again = clientFor(second);
    const readCustomer = await again.customers.retrieve(customer.id);
    expect(readCustomer).toMatchObject({
      id: customer.id,
      email: 'kept@example.com',
      test_clock: clock.id,
      metadata: { user_id: 'u-1' },
    });
    const readSub = await again.subscriptions.retrieve(sub.id, { expand: ['latest_invoice'] });
    expect(readSub).toMatchObject({ id: sub.id, status: 'active', customer: customer.id });
    expect(readSub.items.data.map((it) => [it.price.id, it.price.unit_amount])).toEqual([[price.id, 2900]]);
    const invoice = readSub.latest_invoice as Stripe.Invoice;
    expect(invoice).toMatchObject({ id: sub.latest_invoice, amount_paid: 2900, status: 'paid' });
    expect((await again.prices.retrieve(price.id)).unit_amount).toBe(2900);
    expect((await again.testHelpers.testClocks.retrieve(clock.id)).frozen_time).toBe(1_735_689_600);
    expect((await again.webhookEndpoints.retrieve(endpoint.id)).url).toBe('http://127.0.0.1:1/hook');
    const events = await again.events.list({ type: 'customer.subscription.created' });
    expect(events.data.map((e) => (e.data.object as Stripe.Subscription).id)).toEqual([sub.id]);

    // The reloaded subscription still bills: its clock renews it at the period's end.
    await again.testHelpers.testClocks.advance(clock.id, { frozen_time: 1_735_689_600 + 32 * DAY });
    const invoices = await again.invoices.list({ subscription: sub.id });
    expect(invoices.data.map((i) => [i.billing_reason, i.amount_paid])).toEqual([
      ['subscription_cycle', 2900],
      ['subscription_create', 2900],
    ]);
  });

  it('replays an idempotent request made before the restart instead of acting again', async () => {
    const statePath = join(dir, 'stripe.json');
    const first = await start({ statePath });
    const made = await clientFor(first).customers.create(
      { email: 'once@example.com' },
      { idempotencyKey: 'create-once' },
    );
    await stop(first);

    const second = await start({ statePath });
    const stripe = clientFor(second);
    const replayed = await stripe.customers.create(
      { email: 'once@example.com' },
      { idempotencyKey: 'create-once' },
    );
    expect(replayed.id).toBe(made.id);
    expect((await stripe.customers.list({ email: 'once@example.com' })).data).toHaveLength(1);
  });

  it('writes the file shortly after a change, without waiting for a stop, and leaves no temp file', async () => {
    const statePath = join(dir, 'nested', 'stripe.json');
    const emulator = await start({ statePath });
    const customer = await clientFor(emulator).customers.create({ email: 'soon@example.com' });
    for (let i = 0; i < 50 && !existsSync(statePath); i++) await new Promise((r) => setTimeout(r, 50));
    expect(readFileSync(statePath, 'utf8')).toContain(customer.id);
    expect(readdirSync(join(dir, 'nested'))).toEqual(['stripe.json']);
  });

  it('keeps state in memory only when no state path is given', async () => {
    const first = await start();
    const customer = await clientFor(first).customers.create({ email: 'gone@example.com' });
    await stop(first);
    const second = await start();
    await expect(clientFor(second).customers.retrieve(customer.id)).rejects.toMatchObject({
      statusCode: 404,
    });
    expect(readdirSync(dir)).toEqual([]);
  });

  it('refuses to start on an unreadable state file rather than overwrite it', async () => {
    const statePath = join(dir, 'stripe.json');
    writeFileSync(statePath, '{"format": 1, "objects": [');
    await expect(start({ statePath })).rejects.toThrow(/unreadable.*move it away/);
    expect(readFileSync(statePath, 'utf8')).toBe('{"format": 1, "objects": [');
  });

  it('npm run stripe:emulator with --state saves on SIGTERM and loads it on the next start', async () => {
    const statePath = join(dir, 'cli.json');
    const port = await freePort();
    const runCli = () => {
      const proc = spawn(
        process.execPath,
        [require.resolve('tsx/cli'), 'tools/stripe-emulator/main.ts', '--state', statePath],
        { env: { ...process.env, STRIPE_EMULATOR_PORT: String(port) }, stdio: ['ignore', 'pipe', 'inherit'] },
      );
      const ready = new Promise<void>((resolve, reject) => {
        proc.stdout.on('data', (d: Buffer) => d.toString().includes('listening') && resolve());
        proc.once('exit', (code) => reject(new Error(`emulator exited with ${String(code)}`)));
      });
      const exited = new Promise<number | null>((resolve) => proc.once('exit', resolve));
      return { proc, ready, exited };
    };
    const stripeAt = () => clientFor({ port } as StripeEmulator);

    const first = runCli();
    await first.ready;
    const customer = await stripeAt().customers.create({ email: 'cli@example.com' });
    first.proc.kill('SIGTERM');
    expect(await first.exited).toBe(0);

    const second = runCli();
    await second.ready;
    try {
      expect((await stripeAt().customers.retrieve(customer.id)).id).toBe(customer.id);
    } finally {
      second.proc.kill('SIGTERM');
      await second.exited;
    }
  });
});

describe('automatic test clocks', () => {
  it('puts each new customer on a clock of its own set to now, so advancing it renews the subscription', async () => {
    const emulator = await start({ autoTestClock: true });
    const stripe = clientFor(emulator);
    const before = Math.floor(Date.now() / 1000);
    const a = await stripe.customers.create({ email: 'a@example.com' });
    const b = await stripe.customers.create({ email: 'b@example.com' });
    expect(a.test_clock).toEqual(expect.any(String));
    expect(b.test_clock).toEqual(expect.any(String));
    expect(a.test_clock).not.toBe(b.test_clock);
    const clock = await stripe.testHelpers.testClocks.retrieve(a.test_clock as string);
    expect(clock.frozen_time).toBeGreaterThanOrEqual(before);
    expect(clock.frozen_time).toBeLessThanOrEqual(Math.floor(Date.now() / 1000));

    const price = await monthlyPrice(stripe, 1000);
    const sub = await stripe.subscriptions.create({
      customer: a.id,
      items: [{ price: price.id }],
      default_payment_method: 'pm_card_visa',
    });
    await stripe.testHelpers.testClocks.advance(clock.id, { frozen_time: clock.frozen_time + 32 * DAY });
    const invoices = await stripe.invoices.list({ subscription: sub.id });
    expect(invoices.data.map((i) => i.billing_reason)).toEqual(['subscription_cycle', 'subscription_create']);
  });

  it('puts customers made by Checkout on a clock too', async () => {
    const emulator = await start({ autoTestClock: true });
    const stripe = clientFor(emulator);
    const price = await monthlyPrice(stripe, 1000);
    const session = await stripe.checkout.sessions.create({
      mode: 'subscription',
      line_items: [{ price: price.id, quantity: 1 }],
      customer_email: 'checkout@example.com',
      success_url: 'http://127.0.0.1/ok',
    });
    emulator.completeCheckoutSession(session.id);
    const [customer] = (await stripe.customers.list({ email: 'checkout@example.com' })).data;
    expect(customer?.test_clock).toEqual(expect.any(String));
  });

  it('leaves customers off clocks unless asked', async () => {
    const emulator = await start();
    const customer = await clientFor(emulator).customers.create({ email: 'plain@example.com' });
    expect(customer.test_clock).toBeNull();
  });
});
