import Stripe from 'stripe';

/** Key the engine uses against a local emulator or stripe-mock, which accept any test key. */
export const EMULATOR_KEY = 'sk_test_emulator';

/**
 * A Stripe client. With STRIPE_API_BASE it talks to that server (the emulator, stripe-mock); with only a
 * key it talks to Stripe. Its own retries are off: Temporal retries activities, with backoff and history.
 */
export function createStripeClient(opts: {
  secretKey?: string;
  apiBase?: string;
  timeoutMs?: number;
}): Stripe | null {
  if (!opts.secretKey && !opts.apiBase) return null;
  const base = opts.apiBase ? new URL(opts.apiBase) : null;
  return new Stripe(opts.secretKey ?? EMULATOR_KEY, {
    maxNetworkRetries: 0,
    timeout: opts.timeoutMs ?? 20_000,
    appInfo: { name: 'billing-engine' },
    ...(base
      ? {
          host: base.hostname,
          port: Number(base.port || (base.protocol === 'https:' ? 443 : 80)),
          protocol: base.protocol === 'https:' ? 'https' : 'http',
        }
      : {}),
  });
}
