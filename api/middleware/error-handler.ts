import type { Middleware } from 'koa';
import type { Logger } from 'pino';
import { isDatabaseUnreachable } from '../../db/unreachable';
import { AppError } from '../../domain/errors';
import { isErrorCode } from '../../domain/error-codes';
import { databaseUnavailable, internalError, refusalOf, type Refusal } from '../errors';
import { kindOfStatus } from '../http-status';

/** What a failure is answered with: the status, the one refusal shape, and when to come back. */
export interface ErrorAnswer {
  status: number;
  body: Refusal;
  /** Retry-After, in whole seconds, when the refusal says when to send again. */
  retryAfter?: string;
}

/** First in the chain: turns every failure into the one refusal shape, and hides internals behind a 500. */
export const errorHandler: Middleware = async (ctx, next) => {
  try {
    await next();
    if (ctx.status === 404 && ctx.body === undefined) {
      throw new AppError('not_found', 'route_not_found', `No route for ${ctx.method} ${ctx.path}`);
    }
  } catch (err) {
    const answer = answerFailure(err, ctx.state.requestId, () => ctx.state.log as Logger | undefined);
    ctx.status = answer.status;
    ctx.body = answer.body;
    if (answer.retryAfter !== undefined) ctx.set('Retry-After', answer.retryAfter);
  }
};

/**
 * The answer to whatever was thrown, with the log line it deserves: Koa's chain and the bare lane
 * (api/routing/bare-lane.ts) both answer failures by this one rule.
 */
export function answerFailure(err: unknown, requestId: unknown, log: () => Logger | undefined): ErrorAnswer {
  const refusal = asRefusal(err, requestId);
  const { status, body } = refusalOf(refusal);
  if (refusal !== err && refusal.code === 'database_unavailable') {
    // Maybe done, maybe not (a commit cut off): the caller sends it again, which idempotent calls allow.
    log()?.warn({ err }, 'database unreachable');
    return { status, body, retryAfter: '1' };
  }
  if (status >= 500 && refusal.code !== 'overloaded') {
    // A shed request (overloaded) is the process protecting itself: a metric counts it, no log line each.
    log()?.error({ err }, err instanceof AppError ? err.message : 'unhandled error');
  }
  const seconds = refusal.details?.retry_after_seconds;
  return typeof seconds === 'number' && Number.isSafeInteger(seconds) && seconds >= 0
    ? { status, body, retryAfter: String(seconds) }
    : { status, body };
}

/** Whatever was thrown, as a refusal: an unknown fault becomes internal_error, told by the request id. */
function asRefusal(err: unknown, requestId: unknown): AppError {
  if (err instanceof AppError) return err;
  if (isHttpError(err)) {
    // A code the registry does not hold would be a code no caller can look up: such errors are bad_request.
    const code = isErrorCode(err.code) ? err.code : 'bad_request';
    return new AppError(kindOfStatus(err.status), code, err.expose ? err.message : 'Bad request');
  }
  if (isDatabaseUnreachable(err)) return databaseUnavailable(requestId);
  return internalError(requestId);
}

function isHttpError(
  err: unknown,
): err is { status: number; code?: string; expose?: boolean; message: string } {
  const status = (err as { status?: unknown })?.status;
  return typeof status === 'number' && status >= 400 && status < 500;
}
