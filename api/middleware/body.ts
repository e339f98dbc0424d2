import type { Middleware } from 'koa';
import { AppError } from '../../domain/errors';

const LIMIT_BYTES = 2 * 1024 * 1024;

/**
 * Reads the body once as bytes (webhook signatures are checked on these exact bytes, ctx.state.rawBody),
 * then parses JSON when the request says it is JSON.
 */
export const bodyReader: Middleware = async (ctx, next) => {
  if (ctx.method === 'GET' || ctx.method === 'HEAD' || ctx.method === 'DELETE') return next();
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of ctx.req) {
    size += (chunk as Buffer).length;
    if (size > LIMIT_BYTES)
      throw new AppError(413, 'payload_too_large', `Bodies are limited to ${LIMIT_BYTES} bytes`);
    chunks.push(chunk as Buffer);
  }
  const raw = Buffer.concat(chunks);
  ctx.state.rawBody = raw;
  if (raw.length > 0 && ctx.is('application/json', '+json')) {
    try {
      ctx.request.body = JSON.parse(raw.toString('utf8'));
    } catch {
      throw new AppError(400, 'invalid_json', 'The request body is not valid JSON');
    }
  }
  return next();
};

declare module 'koa' {
  interface Request {
    body?: unknown;
  }
}
