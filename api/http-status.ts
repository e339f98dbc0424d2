import type { ErrorKind } from '../domain/errors';

/** The HTTP status of each kind of error: the only place errors meet HTTP. */
export const HTTP_STATUS: Record<ErrorKind, number> = {
  invalid: 400,
  unauthenticated: 401,
  payment_required: 402,
  forbidden: 403,
  not_found: 404,
  method_not_allowed: 405,
  conflict: 409,
  too_large: 413,
  unsupported_media_type: 415,
  rate_limited: 429,
  internal: 500,
  upstream: 502,
  unavailable: 503,
  timeout: 504,
};

/** The kind of a client error Koa or a middleware raised with a bare status. */
export function kindOfStatus(status: number): ErrorKind {
  const kind = (Object.keys(HTTP_STATUS) as ErrorKind[]).find((k) => HTTP_STATUS[k] === status);
  return kind ?? (status >= 500 ? 'internal' : 'invalid');
}
