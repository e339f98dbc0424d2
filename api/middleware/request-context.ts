import { randomUUID } from 'node:crypto';
import type { Middleware } from 'koa';
import type { Logger } from 'pino';

const SAFE_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** The request's id: the caller's X-Request-Id when sane, else a new one. */
export const requestIdOf = (given: string | undefined): string =>
  given !== undefined && SAFE_ID.test(given) ? given : randomUUID();

/** The access log's line for a request, at info. */
export function logRequest(
  log: Logger,
  request: { method: string; path: string; status: number },
  started: bigint,
): void {
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  log.info({ ...request, ms: Math.round(ms * 100) / 100 }, 'request');
}

/** Gives each request an id (the caller's X-Request-Id when sane), a child logger, and one access log line. */
export function requestContext(logger: Logger): Middleware {
  return async (ctx, next) => {
    const requestId = requestIdOf(ctx.get('x-request-id'));
    ctx.state.requestId = requestId;
    ctx.set('X-Request-Id', requestId);
    // Made when first used: a child logger costs a serialisation of its bindings (through the redaction),
    // and most requests write no line of their own at a level above info.
    let log: Logger | undefined;
    const requestLog = () => (log ??= logger.child({ requestId }));
    Object.defineProperty(ctx.state, 'log', { get: requestLog, enumerable: true, configurable: true });
    const started = process.hrtime.bigint();
    try {
      await next();
    } finally {
      if (logger.isLevelEnabled('info'))
        logRequest(requestLog(), { method: ctx.method, path: ctx.path, status: ctx.status }, started);
    }
  };
}
