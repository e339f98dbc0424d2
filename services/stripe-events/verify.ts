import Stripe from 'stripe';
import { AppError } from '../../domain/errors';

/** Stripe's own tolerance for replayed signatures: five minutes. */
export const SIGNATURE_TOLERANCE_SECONDS = 300;
// Verification is local HMAC work; this client never makes a request.
const verifier = new Stripe('sk_test_signature_only');

/**
 * Checks a Stripe event's signature on the raw body and parses the event. An expired timestamp gets its own
 * code: a right signature that arrives late points at a clock or a queue to fix, not at a wrong secret.
 */
export function verifyStripeEvent(
  rawBody: Buffer | string,
  signature: string,
  secret: string,
  toleranceSeconds = SIGNATURE_TOLERANCE_SECONDS,
): Stripe.Event {
  try {
    return verifier.webhooks.constructEvent(rawBody, signature, secret, toleranceSeconds);
  } catch {
    // stripe-node checks the age only after the signature matched; an unbounded tolerance skips the age.
    let signedRight = false;
    try {
      verifier.webhooks.constructEvent(rawBody, signature, secret, Number.POSITIVE_INFINITY);
      signedRight = true;
    } catch {
      signedRight = false;
    }
    if (signedRight) {
      throw new AppError(
        'invalid',
        'webhook_timestamp_expired',
        `The Stripe-Signature timestamp is more than ${toleranceSeconds} s old; check this server's clock, or replay the event`,
      );
    }
    throw new AppError('invalid', 'invalid_signature', 'The Stripe-Signature header does not match the body');
  }
}
