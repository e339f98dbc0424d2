import type { Middleware } from 'koa';
import { isDatabaseUnreachable } from '../../db/unreachable';
import { AppError } from '../../domain/errors';
import { isErrorCode } from '../../domain/error-codes';
import { databaseUnavailable, internalError, refusalOf } from '../errors';
import { kindOfStatus } from '../http-status';

/** First in the chain: turns every failure into the one refusal shape, and hides internals behind a 500. */
export const errorHandler: Middleware = async (ctx, next) => {
  try {
    await next();
    if (ctx.status === 404 && ctx.body === undefined) {
      throw new AppError('not_found', 'route_not_found', `No route for ${ctx.method} ${ctx.path}`);
    }
  } catch (err) {
    const refusal = asRefusal(err, ctx.state.requestId);
    const { status, body } = refusalOf(refusal);
    ctx.status = status;
    ctx.body = body;
    if (refusal !== err && refusal.code === 'database_unavailable') {
      // Maybe done, maybe not (a commit cut off): the caller sends it again, which idempotent calls allow.
      ctx.state.log?.warn({ err }, 'database unreachable');
      ctx.set('Retry-After', '1');
    } else if (status >= 500 && refusal.code !== 'overloaded') {
      // A shed request (overloaded) is the process protecting itself: a metric counts it, no log line each.
      ctx.state.log?.error({ err }, err instanceof AppError ? err.message : 'unhandled error');
    }
  }
};

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
