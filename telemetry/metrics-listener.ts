import { createHash, timingSafeEqual } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * Whether an Authorization header carries the scrape token. Both sides are hashed first, so the compare
 * takes the same time whatever was sent, its length included.
 */
export function tokenMatches(header: string | undefined, token: string): boolean {
  const digest = (s: string) => createHash('sha256').update(s).digest();
  const sent = (header ?? '').replace(/^Bearer\s+/i, '');
  return timingSafeEqual(digest(sent), digest(token));
}

export interface MetricsListenerOptions {
  port: number;
  /** The interface to listen on (METRICS_HOST). */
  host: string;
  /** With a token, a scrape without `Authorization: Bearer <token>` is answered 401. */
  token?: string | undefined;
  /** The exposition text and its content type. */
  metrics: () => Promise<{ contentType: string; body: string }>;
}

/**
 * `GET /metrics` alone on a port of its own: the API's METRICS_PORT and the worker's WORKER_METRICS_PORT.
 * Resolves once it listens.
 */
export function startMetricsListener(opts: MetricsListenerOptions): Promise<Server> {
  const server = createServer((req, res) => {
    if (req.url?.split('?')[0] !== '/metrics') {
      res.writeHead(404).end();
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD' }).end();
      return;
    }
    if (opts.token !== undefined && !tokenMatches(req.headers.authorization, opts.token)) {
      res.writeHead(401, { 'www-authenticate': 'Bearer' }).end();
      return;
    }
    opts.metrics().then(
      ({ contentType, body }) => res.writeHead(200, { 'content-type': contentType }).end(body),
      () => res.writeHead(500).end(),
    );
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => {
      server.off('error', reject);
      resolve(server);
    });
  });
}

/** `host:port` as a URL authority (IPv6 in brackets). */
export function hostPort(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

/** A port nothing listens on right now, on loopback. */
export function freeLoopbackPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}
