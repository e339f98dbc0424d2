import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { MikroORM } from '@mikro-orm/core';
import { Client, Connection } from '@temporalio/client';
import type { Logger } from 'pino';
import { createApp } from '../../api/app';
import { API_SERVER_TIMEOUTS, createApiServer } from '../../api/http-server';
import { createVerifier } from '../../api/auth/verifier';
import { createByokRuntime, type ByokRuntime } from '../../services/byok/runtime';
import { loadConfig, type Config } from '../../config/env';
import { RateLimiter } from '../../services/rate-limits/rate-limiter';
import type { ByokKeyring } from '../../config/byok-key';
import { createLogger } from '../../config/logger';
import type { AnyRoute } from '../../api/routing/define-route';
import { testKeyring } from './byok-keys';

export interface TestResponse {
  status: number;
  body: any; // eslint-disable-line @typescript-eslint/no-explicit-any
  headers: Headers;
}

export interface TestApi {
  url: string;
  /** With `koaAlone`: the same app served by Koa's chain alone, without the bare lane in front. */
  koaUrl?: string;
  config: Config;
  routes: ReturnType<typeof createApp>['routes'];
  byok: ByokRuntime;
  request(
    method: string,
    path: string,
    opts?: { token?: string; body?: unknown; headers?: Record<string, string> },
  ): Promise<TestResponse>;
  /** The raw response, for bodies that are not JSON (PDFs) and for headers. */
  raw(path: string, token?: string): Promise<Response>;
  /** Resolves once every Stripe event handed to the forwarder so far has been tried. */
  stripeEventsDrained(): Promise<void>;
  stop(): Promise<void>;
}

/** Thrown by `request` when a 2xx answer breaks its route's declared response schema. */
export class ResponseSchemaMismatch extends Error {
  override name = 'ResponseSchemaMismatch';
}

/** The route Koa would serve this request with: the first registered one whose pattern matches. */
export function routeFor(routes: AnyRoute[], method: string, path: string): AnyRoute | undefined {
  const pathname = path.split('?')[0] ?? '';
  return routes.find((r) => {
    if (r.method !== method.toLowerCase()) return false;
    const escaped = r.fullPath.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace(/:[A-Za-z0-9_]+/g, '[^/]+');
    return new RegExp(`^${escaped}/?$`).test(pathname);
  });
}

/**
 * Every 2xx JSON answer the suite receives through `request` is held to its route's declared response
 * schema, so the whole suite checks that /openapi.json tells clients the truth; the test that made the
 * request fails on a mismatch, naming the route and the fields.
 */
export function checkDeclaredResponse(
  routes: AnyRoute[],
  method: string,
  path: string,
  res: { status: number; body: unknown; json: boolean },
): void {
  if (res.status < 200 || res.status >= 300 || !res.json) return;
  const route = routeFor(routes, method, path);
  if (!route?.response) return;
  const parsed = route.response.safeParse(res.body);
  if (parsed.success) return;
  const issues = parsed.error.issues
    .slice(0, 5)
    .map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`)
    .join('; ');
  throw new ResponseSchemaMismatch(
    `${method.toUpperCase()} ${path} answered ${res.status} with a body that breaks the declared response schema of ${route.method.toUpperCase()} ${route.fullPath}: ${issues}\n${JSON.stringify(res.body).slice(0, 2000)}`,
  );
}

/** Outside Temporal for tests that do not need it. */
function unreachableTemporal(): Client {
  return new Client({
    // No gRPC retries: calls to this unreachable Temporal fail at once and leave no retry
    // timer to fire after the test has closed the connection.
    connection: Connection.lazy({ address: '127.0.0.1:1', connectTimeout: 200, interceptors: [] }),
    namespace: 'none',
  });
}

/** The real Koa app (every route, every middleware) on a loopback port, wired to what the test gives. */
export async function startTestApi(opts: {
  orm: MikroORM;
  env?: Record<string, string>;
  temporal?: Client;
  port?: number;
  /**
   * A server already listening (from `reservePort`): the app answers on it. For a port another server must
   * know first; a port picked by `freePort` and bound later can be taken in between by any outgoing
   * connection's ephemeral port.
   */
  listener?: Server;
  /** The address to listen on (loopback unless given); `url` always reaches it over loopback. */
  host?: string;
  logger?: Logger;
  keyring?: ByokKeyring;
  /** The rate limiter's clock (ms since the epoch); the real one by default. */
  now?: () => number;
  /** Also serve the app by Koa's chain alone (koaUrl), to hold the bare lane to it. */
  koaAlone?: true;
}): Promise<TestApi> {
  const env = {
    NODE_ENV: 'test',
    LOG_LEVEL: 'silent',
    DATABASE_URL: 'sqlite::memory:',
    // Suites drive one account through many Stripe calls a minute; the rate limit tests set their own.
    RATE_LIMIT_STRIPE_PER_MINUTE: '100000',
    RATE_LIMIT_KEY_TESTS_PER_MINUTE: '100000',
    RATE_LIMIT_PDF_PER_MINUTE: '100000',
    ...opts.env,
  };
  const config = loadConfig(env);
  const temporal = opts.temporal ?? unreachableTemporal();
  const byok = createByokRuntime(opts.keyring ?? testKeyring(), env);
  const { app, handler, routes, stripeEventForwarder } = createApp({
    config,
    orm: opts.orm,
    temporal,
    logger: opts.logger ?? createLogger('silent', 'test'),
    verifier: await createVerifier(config),
    byok,
    rateLimiter: new RateLimiter(opts.orm, opts.now),
  });
  const server: Server = opts.listener
    ? opts.listener.on('request', handler)
    : await new Promise((resolve, reject) => {
        // The engine's own server and timeouts: with Node's 5 s keep-alive, a client reusing a socket as the
        // server closes it is reset (ECONNRESET), which a loaded machine makes likely.
        const s = createApiServer(handler).listen(opts.port ?? 0, opts.host ?? '127.0.0.1', () => resolve(s));
        s.once('error', reject);
      });
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const koaServer = opts.koaAlone
    ? await new Promise<Server>((resolve) => {
        const s = createApiServer(app.callback()).listen(0, '127.0.0.1', () => resolve(s));
      })
    : null;
  return {
    url,
    ...(koaServer && { koaUrl: `http://127.0.0.1:${(koaServer.address() as AddressInfo).port}` }),
    config,
    routes,
    byok,
    stripeEventsDrained: () => stripeEventForwarder.drain(),
    raw: (path, token) =>
      fetch(`${url}${path}`, { headers: token ? { authorization: `Bearer ${token}` } : {} }),
    async request(method, path, { token, body, headers } = {}) {
      const res = await fetch(`${url}${path}`, {
        method,
        headers: {
          ...(token ? { authorization: `Bearer ${token}` } : {}),
          ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
          ...headers,
        },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const text = await res.text();
      const json = Boolean(text && res.headers.get('content-type')?.includes('json'));
      const parsed: unknown = json ? JSON.parse(text) : text;
      checkDeclaredResponse(routes, method, path, { status: res.status, body: parsed, json });
      return { status: res.status, body: parsed, headers: res.headers };
    },
    async stop() {
      for (const s of koaServer ? [server, koaServer] : [server])
        await new Promise<void>((resolve) => {
          s.close(() => resolve());
          s.closeAllConnections();
        });
      stripeEventForwarder.close();
      await stripeEventForwarder.drain();
      if (!opts.temporal) await temporal.connection.close();
    },
  };
}

/** A free loopback port, for servers that must know each other's address before they start. */
// eslint-disable-next-line @typescript-eslint/no-require-imports
export const { freePort } = require('../../tools/free-port') as { freePort: () => Promise<number> };

/**
 * A loopback port bound now and held until `startTestApi({ listener })` answers on it, so nothing else can
 * take it while the servers that must know it start.
 */
export async function reservePort(): Promise<{ port: number; listener: Server }> {
  const listener = createServer();
  listener.keepAliveTimeout = API_SERVER_TIMEOUTS.keepAliveTimeout;
  await new Promise<void>((resolve, reject) => {
    listener.once('error', reject);
    listener.listen(0, '127.0.0.1', () => resolve());
  });
  // A suite whose setup fails before the app answers here must still be able to exit.
  listener.unref();
  return { port: (listener.address() as AddressInfo).port, listener };
}
