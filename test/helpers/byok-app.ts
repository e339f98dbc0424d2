import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import type { MikroORM } from '@mikro-orm/core';
import { Client, Connection } from '@temporalio/client';
import pino, { type Logger } from 'pino';
import { createApp } from '../../api/app';
import { createVerifier } from '../../api/auth/verifier';
import { createByokRuntime, type ByokRuntime } from '../../api/services/byok/runtime';
import { ByokKey, type ByokKeyring } from '../../config/byok-key';
import { loadConfig } from '../../config/env';
import type { TestApi } from './api';

export const newByokKey = () => new ByokKey(randomBytes(32));

export const testKeyring = (): ByokKeyring => ({ current: newByokKey(), previous: null });

/** BYOK settings for a test app: a throwaway master key, and provider URLs/timeout from the test's env. */
export const testByokRuntime = (env: Record<string, string> = {}, keyring = testKeyring()): ByokRuntime =>
  createByokRuntime(keyring, env);

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

/**
 * The real Koa app (createApp) with deps carrying the BYOK runtime, the test's logger and master key; the
 * BYOK routes sit behind the same middleware as every other route.
 */
export async function startByokTestApi(opts: {
  orm: MikroORM;
  env?: Record<string, string>;
  logger?: Logger;
  keyring?: ByokKeyring;
}): Promise<TestApi & { byok: ByokRuntime }> {
  const env = { NODE_ENV: 'test', LOG_LEVEL: 'silent', DATABASE_URL: 'sqlite::memory:', ...opts.env };
  const config = loadConfig(env);
  const temporal = new Client({
    // No gRPC retries: calls to this unreachable Temporal fail at once and leave no retry
    // timer to fire after the test has closed the connection.
    connection: Connection.lazy({ address: '127.0.0.1:1', connectTimeout: 200, interceptors: [] }),
    namespace: 'none',
  });
  const byok = testByokRuntime(env, opts.keyring);
  const deps = {
    config,
    orm: opts.orm,
    temporal,
    logger: opts.logger ?? pino({ level: 'silent' }),
    verifier: await createVerifier(config),
    byok,
  };
  const { app, routes } = createApp(deps);

  const server: Server = await new Promise((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    config,
    routes,
    byok,
    async request(method, path, { token, body } = {}) {
      const res = await fetch(`${url}${path}`, {
        method,
        headers: {
          ...(token ? { authorization: `Bearer ${token}` } : {}),
          ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const text = await res.text();
      return {
        status: res.status,
        body: text && res.headers.get('content-type')?.includes('json') ? JSON.parse(text) : text,
      };
    },
    stop: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
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
