/** The one error shape of the engine: a status, a stable code, a message and optional details. */
export class AppError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
    this.name = 'AppError';
  }
}

export const unauthorized = (message = 'Authentication required') =>
  new AppError(401, 'unauthorized', message);

export const forbidden = (message = 'You do not have the role this route needs') =>
  new AppError(403, 'forbidden', message);

export const notFound = (what: string, id?: string) =>
  new AppError(404, `${what}_not_found`, `No ${what.replace(/_/g, ' ')} found`, id ? { id } : undefined);

export const conflict = (code: string, message: string, details?: Record<string, unknown>) =>
  new AppError(409, code, message, details);

export const unavailable = (code: string, message: string) => new AppError(503, code, message);
