import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import type { MikroORM } from '@mikro-orm/core';
import pino, { type Logger } from 'pino';
import type { ByokKeyring } from '../../config/byok-key';
import { startTestApi, type TestApi } from './api';

export { newByokKey, testByokRuntime, testKeyring } from './byok-keys';

/** Every log line written, as text, so a test can look for a secret in it. */
export function capturingLogger(): { logger: Logger; text(): string } {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk, _enc, done) {
      lines.push(String(chunk));
      done();
    },
  });
  return { logger: pino({ level: 'trace' }, stream), text: () => lines.join('') };
}

/** The real app with the test's logger and master key (BYOK routes behind the same middleware as all). */
export function startByokTestApi(opts: {
  orm: MikroORM;
  env?: Record<string, string>;
  logger?: Logger;
  keyring?: ByokKeyring;
}): Promise<TestApi> {
  return startTestApi(opts);
}

export interface FakeProvider {
  baseUrl: string;
  /** Requests seen, with the headers that carried a key. */
  requests: { path: string; headers: IncomingMessage['headers'] }[];
  stop(): Promise<void>;
}

/**
 * A stand-in LLM provider on loopback: 200 to `goodKey`, 401 to any other key (with a body that echoes
 * the key, as some providers do), unless `answer` says to reply with another status or to never reply.
 */
export async function startFakeProvider(
  goodKey: string,
  opts: { answer?: () => number | 'hang' | undefined } = {},
): Promise<FakeProvider> {
  const requests: FakeProvider['requests'] = [];
  const server = createServer((req, res) => {
    requests.push({ path: req.url ?? '', headers: req.headers });
    const forced = opts.answer?.();
    if (forced === 'hang') return;
    const auth = req.headers.authorization ?? '';
    const given = auth.startsWith('Bearer ') ? auth.slice(7) : String(req.headers['x-api-key'] ?? '');
    res.setHeader('content-type', 'application/json');
    res.statusCode = forced ?? (given === goodKey ? 200 : 401);
    res.end(
      JSON.stringify(
        res.statusCode === 200
          ? { data: [{ id: 'model-1' }] }
          : {
              error: { message: `Incorrect API key provided: ${given}`, internal: 'stack at provider.py:42' },
            },
      ),
    );
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    stop: () =>
      new Promise((r) => {
        server.close(() => r());
        server.closeAllConnections();
      }),
  };
}
