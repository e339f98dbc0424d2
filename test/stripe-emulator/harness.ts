import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import Stripe from 'stripe';
import { startStripeEmulator, type StripeEmulator } from '../../tools/stripe-emulator';

export const WEBHOOK_SECRET = 'whsec_test_emulator_secret';

/** A webhook receiver that verifies every delivery with stripe-node, as a real integration would. */
export interface WebhookReceiver {
  url: string;
  events: Stripe.Event[];
  rejected: number;
  /** Answer the next N deliveries with a 500, to exercise retries. */
  failNext: number;
  stop(): Promise<void>;
}

export async function startReceiver(stripe: Stripe): Promise<WebhookReceiver> {
  const receiver: Partial<WebhookReceiver> & { events: Stripe.Event[]; rejected: number; failNext: number } =
    {
      events: [],
      rejected: 0,
      failNext: 0,
    };
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (receiver.failNext > 0) {
        receiver.failNext--;
        res.writeHead(500).end();
        return;
      }
      try {
        const event = stripe.webhooks.constructEvent(
          Buffer.concat(chunks).toString('utf8'),
          String(req.headers['stripe-signature']),
          WEBHOOK_SECRET,
        );
        receiver.events.push(event);
        res.writeHead(200).end('{}');
      } catch {
        receiver.rejected++;
        res.writeHead(400).end();
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  receiver.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/webhooks`;
  receiver.stop = () => new Promise<void>((r) => server.close(() => r()));
  return receiver as WebhookReceiver;
}

export interface Harness {
  emulator: StripeEmulator;
  stripe: Stripe;
  receiver: WebhookReceiver;
  stop(): Promise<void>;
}

export function clientFor(emulator: StripeEmulator, options: Stripe.StripeConfig = {}): Stripe {
  return new Stripe('sk_test_emulator', {
    host: '127.0.0.1',
    port: emulator.port,
    protocol: 'http',
    maxNetworkRetries: 0,
    ...options,
  });
}

export async function startHarness(): Promise<Harness> {
  const verifier = new Stripe('sk_test_verifier');
  const receiver = await startReceiver(verifier);
  const emulator = await startStripeEmulator({
    port: 0,
    webhook: { url: receiver.url, secret: WEBHOOK_SECRET },
    webhookBehavior: { retryDelaysMs: [20, 40] },
  });
  return {
    emulator,
    stripe: clientFor(emulator),
    receiver,
    async stop() {
      await emulator.stop();
      await receiver.stop();
    },
  };
}

/** 2025-01-01T00:00:00Z: a fixed start makes period arithmetic in tests checkable by hand. */
export const JAN_1_2025 = Date.UTC(2025, 0, 1) / 1000;
export const DAY = 86_400;

export async function monthlyPrice(stripe: Stripe, unitAmount: number, name = 'Plan'): Promise<Stripe.Price> {
  return stripe.prices.create({
    currency: 'usd',
    unit_amount: unitAmount,
    recurring: { interval: 'month' },
    product_data: { name },
  });
}

export async function customerOnClock(stripe: Stripe, frozenTime = JAN_1_2025) {
  const clock = await stripe.testHelpers.testClocks.create({ frozen_time: frozenTime });
  const customer = await stripe.customers.create({ email: 'clock@example.com', test_clock: clock.id });
  return { clock, customer };
}
