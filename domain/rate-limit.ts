/**
 * Per-caller token buckets: `perMinute` tokens refill evenly over a minute and a full bucket holds
 * `perMinute`, so a burst of a minute's allowance passes and a steady overuse does not. The database keeps
 * the buckets (db/rate-limit-buckets.ts runs this same arithmetic in one statement); this is the rule,
 * pure, so it can be table-tested and the statement checked against it.
 */

/** What a caller may do how often, each class with its own bucket per caller. */
export const RATE_LIMIT_CLASSES = [
  /** Anything that calls Stripe or starts or signals a workflow on the caller's behalf. */
  'stripe',
  /** A call to an LLM provider with the caller's stored key (an oracle for stolen keys). */
  'key_test',
  /** An invoice PDF fetched from Stripe and streamed. */
  'pdf',
  /** The gateway's reads of decrypted provider keys, per gateway identity. */
  'byok_read_gateway',
  /** Reads of one customer's decrypted provider keys, whoever the gateway. */
  'byok_read_customer',
] as const;
export type RateLimitClass = (typeof RATE_LIMIT_CLASSES)[number];

/** The classes a route may declare (the BYOK read classes are taken by the key read itself). */
export type RouteRateLimitClass = Extract<RateLimitClass, 'stripe' | 'key_test' | 'pdf'>;

export interface Bucket {
  tokens: number;
  /** When `tokens` was last computed, in ms since the epoch. */
  atMs: number;
}

export interface Take {
  taken: boolean;
  /** Tokens left after this take (fractional while refilling). */
  tokens: number;
  /** Whole seconds until a token is there again; 0 when one was taken. */
  retryAfterSeconds: number;
}

/**
 * The bucket's tokens at `nowMs`. A clock that went back (another process's, a step of NTP) refills
 * nothing rather than draining the bucket.
 */
export function refill(bucket: Bucket | null, perMinute: number, nowMs: number): number {
  if (!bucket) return perMinute;
  const elapsed = Math.max(0, nowMs - bucket.atMs);
  return Math.min(perMinute, bucket.tokens + (elapsed * perMinute) / 60_000);
}

/** Whole seconds until `tokens` has refilled to one, at least 1. */
export function secondsUntilToken(tokens: number, perMinute: number): number {
  if (tokens >= 1) return 0;
  // Rounded to the millisecond first: 0.95 tokens at 3 a minute is 1000.0000000000009 ms in floating point.
  const ms = Math.round(((1 - tokens) * 60_000) / perMinute);
  return Math.max(1, Math.ceil(ms / 1000));
}

/** One take: a token when one is there, and the bucket as it is afterwards. */
export function takeToken(
  bucket: Bucket | null,
  perMinute: number,
  nowMs: number,
): { bucket: Bucket; take: Take } {
  const tokens = refill(bucket, perMinute, nowMs);
  const atMs = Math.max(nowMs, bucket?.atMs ?? nowMs);
  if (tokens >= 1) {
    return {
      bucket: { tokens: tokens - 1, atMs },
      take: { taken: true, tokens: tokens - 1, retryAfterSeconds: 0 },
    };
  }
  return {
    bucket: { tokens, atMs },
    take: { taken: false, tokens, retryAfterSeconds: secondsUntilToken(tokens, perMinute) },
  };
}

/**
 * A bucket untouched this long is full whatever its limit (the slowest allowed limit, 1 a minute, refills
 * in a minute), so dropping its row forgives no one.
 */
export const BUCKET_IDLE_PRUNE_MS = 24 * 60 * 60 * 1000;

/** Stripe's Checkout Sessions expire 24 hours after they are made unless asked otherwise (we never ask). */
export const CHECKOUT_SESSION_LIFETIME_MS = 24 * 60 * 60 * 1000;

/** How many Checkout Sessions for a new subscription one customer may have open at once. */
export const MAX_OPEN_CHECKOUTS = 3;

/** Whether one more checkout may start while `open` are still open (made within a session's lifetime). */
export function mayOpenCheckout(open: number, max = MAX_OPEN_CHECKOUTS): boolean {
  return open < max;
}
