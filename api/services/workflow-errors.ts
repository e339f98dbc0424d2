import { WorkflowFailedError } from '@temporalio/client';
import { ActivityFailure, ApplicationFailure } from '@temporalio/common';
import { AppError } from '../../domain/errors';

/** A short workflow's failure as the engine's error shape (a declined card is the caller's 402). */
export async function runWorkflowFailure<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof WorkflowFailedError) {
      const inner = err.cause instanceof ActivityFailure ? err.cause.cause : err.cause;
      if (inner instanceof ApplicationFailure) {
        if (inner.type === 'CardDeclined') throw new AppError(402, 'card_declined', inner.message);
        if (inner.type === 'NotFound') throw new AppError(404, 'payment_method_not_found', inner.message);
        if (inner.type === 'InvalidRequest') throw new AppError(400, 'invalid_request', inner.message);
      }
      throw new AppError(
        502,
        'payment_provider_error',
        'The payment provider could not complete the request',
      );
    }
    throw err;
  }
}
