import type { Middleware } from 'koa';
import { AppError } from '../../domain/errors';

const LIMIT_BYTES = 2 * 1024 * 1024;
// Fatal: bytes that are not UTF-8 are refused, not silently turned into U+FFFD.
const utf8 = new TextDecoder('utf-8', { fatal: true });

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
      throw new AppError('too_large', 'payload_too_large', `Bodies are limited to ${LIMIT_BYTES} bytes`);
    chunks.push(chunk as Buffer);
  }
  const raw = Buffer.concat(chunks);
  ctx.state.rawBody = raw;
  if (raw.length > 0 && ctx.is('application/json', '+json')) {
    let text: string;
    try {
      text = utf8.decode(raw);
    } catch {
      throw new AppError('invalid', 'invalid_json', 'The request body is not valid UTF-8', { field: 'body' });
    }
    try {
      ctx.request.body = JSON.parse(text);
    } catch {
      // Also what nesting deep enough to exhaust the parser's stack ends in.
      throw new AppError('invalid', 'invalid_json', 'The request body is not valid JSON', { field: 'body' });
    }
  }
  return next();
};

declare module 'koa' {
  interface Request {
    body?: unknown;
  }
}
