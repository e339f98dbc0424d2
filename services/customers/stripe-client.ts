import type Stripe from 'stripe';
import type { Config } from '../../config/env';
import { createStripeClient, stripeResource } from '../../integrations/stripe/client';
import { apiStripeRequests } from '../../telemetry/api-metrics';

/**
 * A first sign-in's one Stripe call (its customer's create) waits on Stripe within the request: a short
 * timeout, and the SDK's own retries, since no activity retries it. Stripe's "try again" answers (a
 * connection lost, 409 for a key another sign-in holds, 5xx) are retried; two retries of 3 s each keep the
 * whole within the 10 s a request may wait on a workflow.
 */
const TIMEOUT_MS = 3_000;
const RETRIES = 2;

const clients = new WeakMap<Config, Stripe | null>();

/** The API's Stripe client for these settings, made once; null when Stripe is not configured. */
export function apiStripeClient(config: Config): Stripe | null {
  if (!clients.has(config)) {
    const stripe = createStripeClient({
      secretKey: config.STRIPE_SECRET_KEY,
      apiBase: config.STRIPE_API_BASE,
      timeoutMs: TIMEOUT_MS,
      networkRetries: RETRIES,
    });
    stripe?.on('response', (e: Stripe.ResponseEvent) =>
      apiStripeRequests.inc({ method: e.method, resource: stripeResource(e.path), status: String(e.status) }),
    );
    clients.set(config, stripe);
  }
  return clients.get(config) ?? null;
}
