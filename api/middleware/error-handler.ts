import type { Middleware } from 'koa';
import { isDatabaseUnreachable } from '../../db/unreachable';
import { AppError } from '../../domain/errors';
import { HTTP_STATUS, kindOfStatus } from '../http-status';

/** First in the chain: turns every failure into the one error shape, and hides internals behind a 500. */
export const errorHandler: Middleware = async (ctx, next) => {
  try {
    await next();
    if (ctx.status === 404 && ctx.body === undefined) {
      throw new AppError('not_found', 'route_not_found', `No route for ${ctx.method} ${ctx.path}`);
    }
  } catch (err) {
    const appError =
      err instanceof AppError
        ? err
        : isHttpError(err)
          ? new AppError(
              kindOfStatus(err.status),
              err.code ?? 'bad_request',
              err.expose ? err.message : 'Bad request',
            )
          : null;
    if (appError) {
      const status = HTTP_STATUS[appError.kind];
      ctx.status = status;
      ctx.body = {
        error: { code: appError.code, message: appError.message, details: appError.details ?? {} },
      };
      if (status >= 500) ctx.state.log?.error({ err }, appError.message);
      return;
    }
    if (isDatabaseUnreachable(err)) {
      // Maybe done, maybe not (a commit cut off): the caller sends it again, which idempotent calls allow.
      ctx.state.log?.warn({ err }, 'database unreachable');
      ctx.status = 503;
      ctx.set('Retry-After', '1');
      ctx.body = {
        error: {
          code: 'database_unavailable',
          message: 'The database could not be reached; send the request again',
          details: { request_id: ctx.state.requestId },
        },
      };
      return;
    }
    ctx.state.log?.error({ err }, 'unhandled error');
    ctx.status = 500;
    ctx.body = {
      error: {
        code: 'internal_error',
        message: 'Something went wrong on our side',
        details: { request_id: ctx.state.requestId },
      },
    };
  }
};

function isHttpError(
  err: unknown,
): err is { status: number; code?: string; expose?: boolean; message: string } {
  const status = (err as { status?: unknown })?.status;
  return typeof status === 'number' && status >= 400 && status < 500;
}
