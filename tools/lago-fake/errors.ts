/**
 * Lago's error envelopes, as its API answers them: `{ status, error }` for 401, `{ status, error, code }`
 * for 404 (`<resource>_not_found`), and `validation_errors` with `error_details` naming each field for 422.
 */
export class LagoApiError extends Error {
  constructor(
    readonly status: number,
    readonly body: Record<string, unknown>,
  ) {
    super(String(body.error));
  }
}

export const unauthorized = () => new LagoApiError(401, { status: 401, error: 'Unauthorized' });

export const notFound = (resource: string) =>
  new LagoApiError(404, { status: 404, error: 'Not Found', code: `${resource}_not_found` });

export const validationErrors = (details: Record<string, unknown>) =>
  new LagoApiError(422, {
    status: 422,
    error: 'Unprocessable Entity',
    code: 'validation_errors',
    error_details: details,
  });

export const badRequest = (message: string) =>
  new LagoApiError(400, { status: 400, error: `BadRequest: ${message}` });
