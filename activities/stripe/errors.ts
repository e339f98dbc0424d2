import { ApplicationFailure } from '@temporalio/activity';
import Stripe from 'stripe';

/**
 * Turns a Stripe failure into what the workflow branches on. Declines and invalid requests cannot be
 * fixed by retrying, so they are non-retryable failures with a type; network trouble, 5xx and 429 are
 * rethrown as they are, and Temporal retries the activity with backoff.
 */
export function classifyStripeError(err: unknown): never {
  if (err instanceof Stripe.errors.StripeCardError) {
    throw ApplicationFailure.create({
      message: err.message,
      type: 'CardDeclined',
      nonRetryable: true,
      details: [{ code: err.code ?? null, declineCode: err.decline_code ?? null }],
    });
  }
  if (err instanceof Stripe.errors.StripeIdempotencyError) {
    throw ApplicationFailure.create({
      message: err.message,
      type: 'IdempotencyConflict',
      nonRetryable: true,
    });
  }
  if (err instanceof Stripe.errors.StripeInvalidRequestError) {
    const type = err.code === 'resource_missing' ? 'NotFound' : 'InvalidRequest';
    throw ApplicationFailure.create({
      message: err.message,
      type,
      nonRetryable: true,
      details: [{ code: err.code ?? null, param: err.param ?? null }],
    });
  }
  if (
    err instanceof Stripe.errors.StripeAuthenticationError ||
    err instanceof Stripe.errors.StripePermissionError
  ) {
    // A wrong key does not heal by itself; an operator must fix the configuration.
    throw ApplicationFailure.create({
      message: err.message,
      type: 'StripeMisconfigured',
      nonRetryable: true,
    });
  }
  throw err;
}

/** Runs a Stripe call and classifies its failure. */
export async function stripeCall<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    return classifyStripeError(err);
  }
}
