import { ApplicationFailure } from '@temporalio/activity';
import Stripe from 'stripe';
import { FAILURE } from '../../domain/failure-types';

/**
 * Turns a Stripe failure into what the workflow branches on. Declines and invalid requests cannot be
 * fixed by retrying, so they are non-retryable failures with a type, as is any other 4xx but 408, 409 and
 * 429; network trouble, 5xx, 408, 409 and 429 are rethrown as they are, and Temporal retries the activity with backoff.
 */
export function classifyStripeError(err: unknown): never {
  if (err instanceof Stripe.errors.StripeCardError) {
    throw ApplicationFailure.create({
      message: err.message,
      type: FAILURE.cardDeclined,
      nonRetryable: true,
      details: [{ code: err.code ?? null, declineCode: err.decline_code ?? null }],
    });
  }
  if (err instanceof Stripe.errors.StripeIdempotencyError) {
    throw ApplicationFailure.create({
      message: err.message,
      type: FAILURE.idempotencyConflict,
      nonRetryable: true,
    });
  }
  if (err instanceof Stripe.errors.StripeInvalidRequestError) {
    const type = err.code === 'resource_missing' ? FAILURE.notFound : FAILURE.invalidRequest;
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
      type: FAILURE.stripeMisconfigured,
      nonRetryable: true,
    });
  }
  const status = err instanceof Stripe.errors.StripeError ? (err.statusCode ?? 0) : 0;
  // Any other 4xx refuses the request itself; 408, 409 (lock timeout) and 429 are Stripe's "try again".
  if (status >= 400 && status < 500 && ![408, 409, 429].includes(status)) {
    const stripeErr = err as Stripe.errors.StripeError;
    throw ApplicationFailure.create({
      message: stripeErr.message,
      type: FAILURE.invalidRequest,
      nonRetryable: true,
      details: [{ code: stripeErr.code ?? null, status }],
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
