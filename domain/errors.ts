import type { ErrorCode, ErrorKind, NotFoundSubject } from './error-codes';

export type { ErrorKind } from './error-codes';

/**
 * The one refusal shape of the engine: a kind, a stable code from domain/error-codes.ts, a message and
 * optional details (`field` names the input at fault). api/errors.ts alone turns it into the wire body.
 */
export class AppError extends Error {
  constructor(
    readonly kind: ErrorKind,
    readonly code: ErrorCode,
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
    this.name = 'AppError';
  }
}

export const unauthorized = (message = 'Authentication required') =>
  new AppError('unauthenticated', 'unauthorized', message);

export const forbidden = (message = 'You do not have the role this route needs') =>
  new AppError('forbidden', 'forbidden', message);

export const notFound = (what: NotFoundSubject, id?: string) =>
  new AppError(
    'not_found',
    `${what}_not_found` as ErrorCode,
    `No ${what.replace(/_/g, ' ')} found`,
    id ? { id } : undefined,
  );

export const conflict = (code: ErrorCode, message: string, details?: Record<string, unknown>) =>
  new AppError('conflict', code, message, details);

export const unavailable = (code: ErrorCode, message: string) => new AppError('unavailable', code, message);

/** The database refused a value; its own message names tables and statements, so the caller gets the class. */
export const unstorableValue = () =>
  new AppError('invalid', 'invalid_request', 'The request holds a value that cannot be stored');

/** The database refused a write for a constraint: a unique value someone else holds, a missing parent. */
export const storedConflict = () =>
  conflict('constraint_violation', 'The request conflicts with data already stored');

/** Stripe refused or failed a call the request needed. */
export const paymentProviderFailed = () =>
  new AppError('upstream', 'payment_provider_error', 'The payment provider could not complete the request');
