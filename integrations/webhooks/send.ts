import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import http from 'node:http';
import https from 'node:https';
import type { LookupFunction } from 'node:net';
import { addressIsPrivate, endpointUrlRefusal, type EndpointUrlPolicy } from '../../domain/webhook-endpoints';
import { deliveredStatus, responseExcerpt } from '../../domain/webhook-delivery';

/** What one POST to an endpoint came to, as the delivery log records it. */
export interface SendResult {
  ok: boolean;
  statusCode: number | null;
  latencyMs: number;
  error: string | null;
  excerpt: string | null;
}

/** Resolves a name to every address it has (node:dns lookup with `all`), replaceable in tests. */
export type Resolver = (
  hostname: string,
  options: { all: true; family: number },
  callback: (err: NodeJS.ErrnoException | null, addresses: LookupAddress[]) => void,
) => void;

export interface SendOptions extends EndpointUrlPolicy {
  /** The whole exchange, connection to the last byte read (WEBHOOK_TIMEOUT_MS). */
  timeoutMs: number;
  resolve?: Resolver;
}

/** Bytes of an answer read at most: the log keeps 500 characters, and a receiver cannot make us buffer more. */
const MAX_READ_BYTES = 16 * 1024;

class RefusedAddress extends Error {}

/**
 * Resolves the name and refuses it when any address it resolves to is private (unless allowed), then hands
 * the checked address to the connection: the address judged is the one connected to, so a name that
 * answers a public address to the check and a private one to the connection (DNS rebinding) gets nowhere.
 */
function checkedLookup(allowPrivate: boolean, resolve: Resolver): LookupFunction {
  return (hostname, options, callback) => {
    const family = options.family === 'IPv4' ? 4 : options.family === 'IPv6' ? 6 : (options.family ?? 0);
    resolve(hostname, { all: true, family }, (err, addresses) => {
      if (err) return callback(err, '', 0);
      const usable = allowPrivate ? addresses : addresses.filter((a) => !addressIsPrivate(a.address));
      if (usable.length === 0 || usable.length !== addresses.length)
        return callback(new RefusedAddress(`${hostname} resolves to a private address`), '', 0);
      if (options.all) return (callback as unknown as (e: null, a: LookupAddress[]) => void)(null, usable);
      return callback(null, usable[0]!.address, usable[0]!.family);
    });
  };
}

/**
 * POSTs a signed event to an endpoint and reports how it went; never throws for the receiver's doing
 * (refused, timed out, an error status, a redirect, which is never followed). The address is judged again
 * here, with the policy in force now, as well as when it was saved.
 */
export async function sendWebhook(
  url: string,
  headers: Record<string, string>,
  body: string,
  opts: SendOptions,
): Promise<SendResult> {
  const started = performance.now();
  const elapsed = () => Math.round(performance.now() - started);
  const refusal = endpointUrlRefusal(url, opts);
  if (refusal) return { ok: false, statusCode: null, latencyMs: 0, error: refusal.code, excerpt: null };
  const target = new URL(url);
  const client = target.protocol === 'https:' ? https : http;
  return new Promise<SendResult>((resolve) => {
    let settled = false;
    const finish = (r: Omit<SendResult, 'latencyMs'>) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve({ ...r, latencyMs: elapsed() });
    };
    const req = client.request(
      target,
      {
        method: 'POST',
        headers: {
          ...headers,
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(body),
          'user-agent': 'billing-engine-webhooks/1',
        },
        lookup: checkedLookup(opts.allowPrivate, opts.resolve ?? (dnsLookup as unknown as Resolver)),
        // One connection per attempt: a receiver's kept-alive socket is not shared across endpoints.
        agent: false,
      },
      (res) => {
        const chunks: Buffer[] = [];
        let read = 0;
        const done = () => {
          const status = res.statusCode ?? 0;
          finish({
            ok: deliveredStatus(status),
            statusCode: status,
            error: deliveredStatus(status)
              ? null
              : status >= 300 && status < 400
                ? 'redirect_not_followed'
                : null,
            excerpt: responseExcerpt(Buffer.concat(chunks).toString('utf8')),
          });
          res.destroy();
        };
        res.on('data', (chunk: Buffer) => {
          if (read < MAX_READ_BYTES) chunks.push(chunk.subarray(0, MAX_READ_BYTES - read));
          read += chunk.length;
          if (read >= MAX_READ_BYTES) done();
        });
        res.on('end', done);
        res.on('error', done);
      },
    );
    const timer = setTimeout(() => {
      finish({ ok: false, statusCode: null, error: 'timeout', excerpt: null });
      req.destroy();
    }, opts.timeoutMs);
    req.on('error', (err) => {
      const error =
        err instanceof RefusedAddress
          ? 'webhook_url_private'
          : (((err as NodeJS.ErrnoException).code ?? err.message) as string).slice(0, 200);
      finish({ ok: false, statusCode: null, error, excerpt: null });
    });
    req.end(body);
  });
}
