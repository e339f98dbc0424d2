import { AppError } from '../domain/errors';
import type { ErrorCode } from '../domain/error-codes';
import { HTTP_STATUS } from './http-status';

/** The body of every refusal the API sends, whatever raised it. */
export interface Refusal {
  error: { code: ErrorCode; message: string; details: Record<string, unknown> };
}

/** The one place a refusal becomes its HTTP status and wire body. */
export function refusalOf(err: AppError): { status: number; body: Refusal } {
  return {
    status: HTTP_STATUS[err.kind],
    body: { error: { code: err.code, message: err.message, details: err.details ?? {} } },
  };
}

/**
 * The refusal of input a schema refused: the first issue names the field (`body.email`) and leads the
 * message, and every issue is listed.
 */
export function validationFailed(
  issues: readonly { path: readonly PropertyKey[]; message: string }[],
  prefix: string,
): AppError {
  const all = issues.map((i) => ({ field: [prefix, ...i.path.map(String)].join('.'), message: i.message }));
  const first = all[0] ?? { field: prefix, message: 'is invalid' };
  return new AppError('invalid', 'validation_failed', `${first.field}: ${first.message}`, {
    field: first.field,
    issues: all,
  });
}

/** The database could not be reached: the call may or may not have taken effect, so it is sent again. */
export const databaseUnavailable = (requestId: unknown) =>
  new AppError(
    'unavailable',
    'database_unavailable',
    'The database could not be reached; send the request again',
    {
      request_id: requestId,
    },
  );

/** A fault of the engine's own, told to the caller by the request id alone. */
export const internalError = (requestId: unknown) =>
  new AppError('internal', 'internal_error', 'Something went wrong on our side', { request_id: requestId });
