import { resolve } from 'node:path';
import { DEFAULT_PORT, startStripeEmulator } from './index';

/**
 * `npm run stripe:emulator [-- --state var/stripe-emulator.json] [--auto-test-clock]`: the emulator for
 * local development, on 127.0.0.1:12211. With a state file (or STRIPE_EMULATOR_STATE) it keeps its objects
 * across restarts; with --auto-test-clock (or STRIPE_EMULATOR_AUTO_TEST_CLOCK=1) each new customer gets a
 * test clock; STRIPE_EMULATOR_WEBHOOK_CONCURRENCY caps the webhook deliveries on the wire at once;
 * STRIPE_EMULATOR_WEBHOOK_EVENTS (comma-separated types) sends only those, as a Stripe endpoint's enabled
 * events do (unset: every event, as `stripe listen` does).
 */
function eventsFromEnv(): { events?: string[] } {
  const list = (process.env.STRIPE_EMULATOR_WEBHOOK_EVENTS ?? '')
    .split(',')
    .map((t) => t.trim())
    .filter(Boolean);
  return list.length > 0 ? { events: list } : {};
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const flag = (name: string) => {
    const i = args.indexOf(name);
    return i >= 0 ? args[i + 1] : undefined;
  };
  const port = process.env.STRIPE_EMULATOR_PORT ? Number(process.env.STRIPE_EMULATOR_PORT) : DEFAULT_PORT;
  const webhookUrl = process.env.STRIPE_EMULATOR_WEBHOOK_URL;
  const webhookSecret = process.env.STRIPE_WEBHOOK_SECRET;
  const statePath = flag('--state') ?? process.env.STRIPE_EMULATOR_STATE;
  const autoTestClock =
    args.includes('--auto-test-clock') || process.env.STRIPE_EMULATOR_AUTO_TEST_CLOCK === '1';
  const concurrency = Number(process.env.STRIPE_EMULATOR_WEBHOOK_CONCURRENCY || 0);
  if (!Number.isInteger(concurrency) || concurrency < 0)
    throw new Error('STRIPE_EMULATOR_WEBHOOK_CONCURRENCY must be a whole number');
  const emulator = await startStripeEmulator({
    port,
    host: '127.0.0.1',
    webhook:
      webhookUrl && webhookSecret
        ? { url: webhookUrl, secret: webhookSecret, ...eventsFromEnv() }
        : undefined,
    statePath: statePath ? resolve(statePath) : undefined,
    autoTestClock,
    ...(concurrency > 0 ? { webhookBehavior: { maxInFlight: concurrency } } : {}),
  });
  // Also on a crash: whatever the debounce still holds reaches the file.
  process.on('exit', () => emulator.flushState());
  const extras = [statePath ? `state in ${statePath}` : 'state in memory'];
  if (autoTestClock) extras.push('a test clock per new customer');
  console.log(`Stripe emulator listening on ${emulator.url} (${extras.join('; ')})`);
  const shutdown = () => {
    void emulator.stop().then(() => process.exit(0));
  };
  process.on('SIGINT', shutdown);
  process.on('SIGTERM', shutdown);
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
