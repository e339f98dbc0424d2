import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { MikroORM } from '@mikro-orm/core';
import { Client, Connection } from '@temporalio/client';
import { createApp } from '../../api/app';
import { createVerifier } from '../../api/auth/verifier';
import { loadConfig, type Config } from '../../config/env';
import { createLogger } from '../../config/logger';
import { testByokRuntime } from './byok-app';

export interface TestApi {
  url: string;
  config: Config;
  routes: ReturnType<typeof createApp>['routes'];
  request(
    method: string,
    path: string,
    opts?: { token?: string; body?: unknown },
  ): Promise<{ status: number; body: any }>; // eslint-disable-line @typescript-eslint/no-explicit-any
  stop(): Promise<void>;
}

/** The real Koa app on a free loopback port, wired to the given database and Temporal client. */
export async function startTestApi(opts: {
  orm: MikroORM;
  env?: Record<string, string>;
  temporal?: Client;
  port?: number;
}): Promise<TestApi> {
  const config = loadConfig({
    NODE_ENV: 'test',
    LOG_LEVEL: 'silent',
    DATABASE_URL: 'sqlite::memory:',
    ...opts.env,
  });
  const temporal =
    opts.temporal ??
    new Client({
      // No gRPC retries: calls to this unreachable Temporal fail at once and leave no retry
      // timer to fire after the test has closed the connection.
      connection: Connection.lazy({ address: '127.0.0.1:1', connectTimeout: 200, interceptors: [] }),
      namespace: 'none',
    });
  const verifier = await createVerifier(config);
  const { app, routes } = createApp({
    config,
    orm: opts.orm,
    temporal,
    logger: createLogger('silent', 'test'),
    verifier,
    byok: testByokRuntime(opts.env),
  });
  const server: Server = await new Promise((resolve) => {
    const s = app.listen(opts.port ?? 0, '127.0.0.1', () => resolve(s));
  });
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    config,
    routes,
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

/** A free loopback port, for servers that must know each other's address before they start. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}
