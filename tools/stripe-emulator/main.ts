import { DEFAULT_PORT, startStripeEmulator } from './index';

/** `npx tsx tools/stripe-emulator/main.ts` — the emulator for local development, on 127.0.0.1:12211. */
async function main(): Promise<void> {
  const port = process.env.STRIPE_EMULATOR_PORT ? Number(process.env.STRIPE_EMULATOR_PORT) : DEFAULT_PORT;
  const webhookUrl = process.env.STRIPE_EMULATOR_WEBHOOK_URL;
  const webhookSecret = process.env.STRIPE_WEBHOOK_SECRET;
  const emulator = await startStripeEmulator({
    port,
    host: '127.0.0.1',
    webhook: webhookUrl && webhookSecret ? { url: webhookUrl, secret: webhookSecret } : undefined,
  });
  console.log(`Stripe emulator listening on ${emulator.url}`);
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
