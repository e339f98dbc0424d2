import { Agent as HttpAgent, request as httpRequest } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';

/**
 * Connections kept open between deliveries, as Stripe's senders keep them: a burst of renewals is thousands
 * of posts to one endpoint. node:http rather than fetch: undici's fetch cost the emulator several times the
 * CPU of a plain request per delivery (its streams, abort signals and header guards), and the emulator's CPU
 * counts in the cluster's figures that bench:scale prints, where Stripe's own would not.
 */
// An idle connection is closed after 2 s, before a Node server's own 5 s would close it under a post.
const agents = {
  'http:': new HttpAgent({ keepAlive: true, timeout: 2_000 }),
  'https:': new HttpsAgent({ keepAlive: true, timeout: 2_000 }),
};

/** Posts a body and answers the status, the response read to its end; throws on a network error or timeout. */
export async function postBody(
  url: string,
  headers: Record<string, string>,
  body: string,
  timeoutMs: number,
): Promise<number> {
  try {
    return await postOnce(url, headers, body, timeoutMs);
  } catch (err) {
    // A kept connection the other end closed as it was reused: the post never arrived, so it goes again on
    // a new one (a redelivery would be harmless too; webhooks are taken once by event id).
    if (!(err instanceof StaleConnection)) throw err;
    return postOnce(url, headers, body, timeoutMs);
  }
}

class StaleConnection extends Error {}

function postOnce(
  url: string,
  headers: Record<string, string>,
  body: string,
  timeoutMs: number,
): Promise<number> {
  const target = new URL(url);
  const https = target.protocol === 'https:';
  if (!https && target.protocol !== 'http:') return Promise.reject(new Error(`unsupported URL ${url}`));
  return new Promise((resolve, reject) => {
    const req = (https ? httpsRequest : httpRequest)(
      target,
      {
        method: 'POST',
        agent: agents[target.protocol as 'http:' | 'https:'],
        headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) },
        timeout: timeoutMs,
      },
      (res) => {
        res.on('data', () => undefined);
        res.on('end', () => resolve(res.statusCode ?? 0));
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on('error', (err: NodeJS.ErrnoException) =>
      reject(
        req.reusedSocket && (err.code === 'ECONNRESET' || err.code === 'EPIPE') ? new StaleConnection() : err,
      ),
    );
    req.end(body);
  });
}
