import type { CoreDeps } from '../services/deps';
import type { TokenVerifier } from './auth/verifier';
import type { ByokRuntime } from '../services/byok/runtime';
import type { RateLimiter } from '../services/rate-limits/rate-limiter';
import type { StripeEventForwarder } from '../services/stripe-events/event-forwarder';

/** Everything a request handler may use; built once in main.ts, or by a test. */
export interface AppDeps extends CoreDeps {
  verifier: TokenVerifier;
  /** Customers' own provider keys: the master keyring, provider base URLs, the key-test timeout. */
  byok: ByokRuntime;
  /** Hands recorded Stripe events to their workflows; made by createApp. */
  stripeEventForwarder: StripeEventForwarder;
  /** Per-caller token buckets in the database (routes' `rateLimit`, the gateway's key reads); made by createApp. */
  rateLimiter: RateLimiter;
}

export type { CoreDeps } from '../services/deps';
