import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One request the receiver took, and whether its signature held under the secret it knew then. */
export interface ReceivedHook {
  id: string;
  timestamp: number;
  type: string;
  customerId: string | null;
  body: Record<string, unknown>;
  verified: boolean;
  /** What the receiver answered: a status, or `hang` (no answer until the sender gives up). */
  answer: number | 'hang';
}

export type Answer = number | 'hang';

/**
 * Checks a Standard Webhooks signature the way the specification writes it, with nothing of the engine's
 * nor of the `standardwebhooks` package: HMAC-SHA256 over `id.timestamp.body` keyed by the base64 bytes
 * after `whsec_`, compared in constant time with each `v1,` signature of the header, and a timestamp
 * within five minutes of now.
 */
export function verifyStandardWebhook(
  secret: string,
  headers: { id?: string; timestamp?: string; signature?: string },
  body: string,
  now = Date.now(),
): boolean {
  if (!headers.id || !headers.timestamp || !headers.signature || !secret.startsWith('whsec_')) return false;
  const ts = Number(headers.timestamp);
  if (!Number.isInteger(ts) || Math.abs(now / 1000 - ts) > 300) return false;
  const key = Buffer.from(secret.slice('whsec_'.length), 'base64');
  const expected = createHmac('sha256', key).update(`${headers.id}.${headers.timestamp}.${body}`).digest();
  return headers.signature.split(' ').some((part) => {
    const [version, sig] = part.split(',');
    if (version !== 'v1' || !sig) return false;
    const given = Buffer.from(sig, 'base64');
    return given.length === expected.length && timingSafeEqual(given, expected);
  });
}

/**
 * A webhook receiver on loopback that verifies every request, keeps them in arrival order, and answers
 * what the test scripts: each `answers` entry is used once, then 200.
 */
export async function startWebhookReceiver() {
  const state = {
    secret: '',
    received: [] as ReceivedHook[],
    answers: [] as Answer[],
    /** Answered when `answers` is empty. */
    otherwise: 200 as Answer,
  };
  const open = new Set<ServerResponse>();
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      const header = (name: string) => {
        const v = req.headers[name];
        return Array.isArray(v) ? v[0] : v;
      };
      let body: Record<string, unknown> = {};
      try {
        body = JSON.parse(raw) as Record<string, unknown>;
      } catch {
        body = {};
      }
      const answer = state.answers.length > 0 ? state.answers.shift()! : state.otherwise;
      state.received.push({
        id: header('webhook-id') ?? '',
        timestamp: Number(header('webhook-timestamp')),
        type: String(body.type ?? ''),
        customerId: ((body.customer as { id?: string } | null)?.id as string | undefined) ?? null,
        body,
        verified: verifyStandardWebhook(
          state.secret,
          {
            id: header('webhook-id'),
            timestamp: header('webhook-timestamp'),
            signature: header('webhook-signature'),
          },
          raw,
        ),
        answer,
      });
      if (answer === 'hang') {
        open.add(res);
        return;
      }
      res.writeHead(answer, { 'content-type': 'text/plain' });
      res.end(answer >= 200 && answer < 300 ? 'ok' : `failing with ${answer}\u001b[31m`);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return Object.assign(state, {
    url: `http://127.0.0.1:${port}/hooks`,
    /** The events answered 2xx, in the order they were answered. */
    delivered: () => state.received.filter((r) => typeof r.answer === 'number' && r.answer < 300),
    async stop() {
      for (const res of open) res.destroy();
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  });
}
