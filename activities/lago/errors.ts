import { ApplicationFailure } from '@temporalio/activity';
import { FAILURE } from '../../domain/failure-types';

/** Lago's error envelope: `{ status, error }`, plus `code` and `error_details` on 404 and 422. */
export interface LagoErrorBody {
  status?: number;
  error?: string;
  code?: string;
  error_details?: Record<string, unknown>;
}

/** A non-2xx answer from Lago, with its parsed envelope when there was one. */
export class LagoHttpError extends Error {
  constructor(
    readonly status: number,
    readonly body: LagoErrorBody | null,
  ) {
    super(`Lago answered ${status}: ${body?.code ?? body?.error ?? 'no body'}`);
    this.name = 'LagoHttpError';
  }

  /** True when Lago refused `field` (top level of error_details) as already taken. */
  alreadyExists(field: string): boolean {
    const details = this.body?.error_details?.[field];
    return this.status === 422 && Array.isArray(details) && details.includes('value_already_exist');
  }
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** The Lago client throws the fetch Response itself (parsed body on `.error`) for every non-2xx. */
function toHttpError(err: unknown): LagoHttpError | null {
  if (!(err instanceof Response)) return null;
  const body = (err as Response & { error?: unknown }).error;
  return new LagoHttpError(err.status, isObject(body) ? (body as LagoErrorBody) : null);
}

/**
 * Turns a Lago failure into what the workflow branches on. A wrong key and a refused request do not heal
 * by retrying, so they are non-retryable with a type; network trouble, timeouts, 5xx and 429 become a
 * retryable `LagoUnavailable`, and Temporal retries the activity with backoff.
 */
export function classifyLagoError(err: unknown): never {
  const http = err instanceof LagoHttpError ? err : toHttpError(err);
  if (!http) {
    const cause = err instanceof Error && isObject(err.cause) ? err.cause : null;
    const detail = (cause && typeof cause.code === 'string' && cause.code) || (err as Error)?.message;
    throw ApplicationFailure.create({
      message: `Lago unreachable: ${detail ?? String(err)}`,
      type: FAILURE.lagoUnavailable,
      cause: err instanceof Error ? err : undefined,
    });
  }
  if (http.status === 429 || http.status >= 500) {
    throw ApplicationFailure.create({ message: http.message, type: FAILURE.lagoUnavailable, cause: http });
  }
  if (http.status === 401 || http.status === 403) {
    // A wrong or revoked key does not heal by itself; an operator must fix LAGO_API_KEY.
    throw ApplicationFailure.create({
      message: http.message,
      type: FAILURE.lagoMisconfigured,
      nonRetryable: true,
    });
  }
  throw ApplicationFailure.create({
    message: http.message,
    type: FAILURE.invalidRequest,
    nonRetryable: true,
    details: [
      { status: http.status, code: http.body?.code ?? null, errorDetails: http.body?.error_details ?? null },
    ],
  });
}

/**
 * Runs a Lago call and returns its data. `accept` may turn an expected HTTP answer (a 404 on terminate,
 * a 422 `value_already_exist`) into a result; anything else is classified.
 */
export async function lagoCall<T, R = T>(
  fn: () => Promise<{ data: T }>,
  accept?: (err: LagoHttpError) => R | undefined,
): Promise<T | R> {
  try {
    return (await fn()).data;
  } catch (raw) {
    const http = toHttpError(raw);
    if (http && accept) {
      const outcome = accept(http);
      if (outcome !== undefined) return outcome;
    }
    return classifyLagoError(http ?? raw);
  }
}
