import { ApplicationFailure } from '@temporalio/activity';
import { FAILURE } from '../../domain/failure-types';

/** A failed call to the token endpoint, which answers outside the admin client. */
export class KeycloakTokenError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = 'KeycloakTokenError';
  }
}

/** The admin client's NetworkError carries the response; matched by shape so one copy of the class is not assumed. */
function httpStatusOf(err: unknown): number | undefined {
  if (err instanceof KeycloakTokenError) return err.status;
  const response = (err as { response?: { status?: unknown } } | null)?.response;
  return typeof response?.status === 'number' ? response.status : undefined;
}

function isTransient(status: number): boolean {
  return status >= 500 || status === 429 || status === 408;
}

/** A 401 from the admin API may only mean the cached token went stale (e.g. the server restarted). */
export function isUnauthorized(err: unknown): boolean {
  return !(err instanceof KeycloakTokenError) && httpStatusOf(err) === 401;
}

/**
 * Turns a Keycloak failure into what the workflow branches on. Wrong credentials or missing roles do not
 * heal by themselves, and neither does a request Keycloak rejects, so those are non-retryable with a
 * type; connection failures, timeouts, 5xx and 429 are rethrown as they are, and Temporal retries the
 * activity with backoff, which is how a sync waits out a Keycloak outage.
 */
export function classifyKeycloakError(err: unknown): never {
  const status = httpStatusOf(err);
  if (status === undefined || isTransient(status)) throw err;
  const message = err instanceof Error ? err.message : String(err);
  if (err instanceof KeycloakTokenError || status === 401 || status === 403) {
    // The token endpoint rejects bad client credentials with 401 and a disabled service account with 400.
    throw ApplicationFailure.create({
      message: `Keycloak refused the engine's client (${status}): ${message}`,
      type: FAILURE.keycloakMisconfigured,
      nonRetryable: true,
      details: [{ status }],
    });
  }
  // A user deleted between lookup and update: the retry looks them up again and finds nobody.
  if (status === 404) throw err;
  throw ApplicationFailure.create({
    message: `Keycloak rejected the request (${status}): ${message}`,
    type: FAILURE.invalidRequest,
    nonRetryable: true,
    details: [{ status }],
  });
}
