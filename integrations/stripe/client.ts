import Stripe from 'stripe';
import type { MetricMeter } from '@temporalio/common';

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
  /** The SDK's own retries of a failed call (none unless asked): for callers that no activity retries. */
  networkRetries?: number;
}): Stripe | null {
  if (!opts.secretKey && !opts.apiBase) return null;
  const base = opts.apiBase ? new URL(opts.apiBase) : null;
  return new Stripe(opts.secretKey ?? EMULATOR_KEY, {
    maxNetworkRetries: opts.networkRetries ?? 0,
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

/** The first segment of a Stripe API path (`/v1/invoices/in_1/pay` → `invoices`): a label without ids. */
export function stripeResource(path: string): string {
  return path.split('?')[0]?.split('/').filter(Boolean)[1] ?? 'unknown';
}

/**
 * Counts every Stripe call by method, resource and status into `billing_stripe_requests_total` (429s and
 * 5xx included: Temporal's activity retries follow them), and times them.
 */
export function meterStripeCalls(stripe: Stripe, meter: MetricMeter): void {
  const calls = meter.createCounter(
    'billing_stripe_requests',
    undefined,
    'Stripe API calls by method, resource and status.',
  );
  // The unit is in the name: the exporter would otherwise append a bare `_s`.
  const latency = meter.createHistogram(
    'billing_stripe_request_duration_seconds',
    'float',
    undefined,
    'Time Stripe took to answer, by resource.',
  );
  stripe.on('response', (e: Stripe.ResponseEvent) => {
    const resource = stripeResource(e.path);
    calls.add(1, { method: e.method, resource, status: String(e.status) });
    latency.record(e.elapsed / 1000, { resource });
  });
}
