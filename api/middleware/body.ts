import type { IncomingMessage } from 'node:http';
import type { Context } from 'koa';
import { AppError } from '../../domain/errors';

/** What a route reads unless it says otherwise: plenty for any form, a fraction of a batch of usage. */
export const DEFAULT_BODY_LIMIT = 256 * 1024;
/** The most any route reads: a batch of 1,000 usage events, a Stripe event. */
export const LARGE_BODY_LIMIT = 2 * 1024 * 1024;
const EMPTY = Buffer.alloc(0);
// Fatal: bytes that are not UTF-8 are refused, not silently turned into U+FFFD.
const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Reads the body once as bytes (Stripe event signatures are checked on these exact bytes, ctx.state.rawBody),
 * then parses JSON when the request says it is JSON. Called by the route once the caller may call it, so
 * that nobody gets megabytes read and parsed before authentication, and with the route's own limit.
 */
export async function readBody(ctx: Context, limit: number): Promise<void> {
  if (ctx.method === 'GET' || ctx.method === 'HEAD' || ctx.method === 'DELETE') return;
  // A declared length over the limit is refused before a byte is read.
  const length = ctx.get('content-length');
  if (Number(length) > limit) throw tooLarge(limit);
  // Neither a length nor chunks: HTTP/1.1 says the request has no body, so nothing waits for one.
  const raw =
    (length === '' || length === '0') && ctx.get('transfer-encoding') === ''
      ? EMPTY
      : await readAll(ctx.req, limit);
  ctx.state.rawBody = raw;
  // Asked once: the route's guard reads the answer instead of parsing the header again.
  const json = raw.length > 0 && typeof ctx.is('application/json', '+json') === 'string';
  ctx.state.jsonBody = json;
  if (json) ctx.request.body = parseJson(raw);
}

/** A JSON body's bytes as a value; bytes that are not UTF-8 or text that is not JSON are refused. */
export function parseJson(raw: Buffer): unknown {
  let text: string;
  try {
    text = utf8.decode(raw);
  } catch {
    throw new AppError('invalid', 'invalid_json', 'The request body is not valid UTF-8', { field: 'body' });
  }
  try {
    return JSON.parse(text);
  } catch {
    // Also what nesting deep enough to exhaust the parser's stack ends in.
    throw new AppError('invalid', 'invalid_json', 'The request body is not valid JSON', { field: 'body' });
  }
}

/**
 * The request's bytes, refused past `limit`. Listeners rather than `for await`: the async iterator costs a
 * promise per chunk, and every report and check the gateway makes comes through here.
 */
export function readAll(req: IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        cleanup();
        // Stop reading what is left: nothing of it will be used.
        req.pause();
        reject(tooLarge(limit));
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = () => {
      cleanup();
      resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks));
    };
    const onError = (err: Error) => {
      cleanup();
      reject(err);
    };
    // The caller went away before the end: nothing more will come.
    const onClose = () => onError(Object.assign(new Error('request aborted'), { code: 'ECONNRESET' }));
    const cleanup = () => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
      req.off('close', onClose);
    };
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
    req.on('close', onClose);
  });
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
