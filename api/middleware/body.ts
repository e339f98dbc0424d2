import type { Context } from 'koa';
import { AppError } from '../../domain/errors';

/** What a route reads unless it says otherwise: plenty for any form, a fraction of a batch of usage. */
export const DEFAULT_BODY_LIMIT = 256 * 1024;
/** The most any route reads: a batch of 1,000 usage events, a Stripe webhook. */
export const LARGE_BODY_LIMIT = 2 * 1024 * 1024;
// Fatal: bytes that are not UTF-8 are refused, not silently turned into U+FFFD.
const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Reads the body once as bytes (webhook signatures are checked on these exact bytes, ctx.state.rawBody),
 * then parses JSON when the request says it is JSON. Called by the route once the caller may call it, so
 * that nobody gets megabytes read and parsed before authentication, and with the route's own limit.
 */
export async function readBody(ctx: Context, limit: number): Promise<void> {
  if (ctx.method === 'GET' || ctx.method === 'HEAD' || ctx.method === 'DELETE') return;
  // A declared length over the limit is refused before a byte is read.
  if (Number(ctx.get('content-length')) > limit) throw tooLarge(limit);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of ctx.req) {
    size += (chunk as Buffer).length;
    if (size > limit) throw tooLarge(limit);
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
}

const tooLarge = (limit: number) =>
  new AppError('too_large', 'payload_too_large', `Bodies of this route are limited to ${limit} bytes`, {
    limit,
  });

declare module 'koa' {
  interface Request {
    body?: unknown;
  }
}
