import { timingSafeEqual } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { Middleware } from 'koa';
import type { Config } from '../config/env';
import { registry } from '../telemetry/registry';
import { AppError } from '../domain/errors';

function tokenMatches(header: string, token: string): boolean {
  const sent = Buffer.from(header.replace(/^Bearer\s+/i, ''));
  const want = Buffer.from(token);
  return sent.length === want.length && timingSafeEqual(sent, want);
}

/**
 * `GET /metrics` on the API's port, unless METRICS_PORT gives it a port of its own. With METRICS_TOKEN
 * set, scrapers must send it as a bearer token (checked before, and instead of, user authentication).
 */
export function metricsEndpoint(config: Pick<Config, 'METRICS_TOKEN' | 'METRICS_PORT'>): Middleware {
  return async (ctx, next) => {
    if (ctx.path !== '/metrics' || config.METRICS_PORT !== undefined) return next();
    if (ctx.method !== 'GET' && ctx.method !== 'HEAD') {
      throw new AppError('method_not_allowed', 'method_not_allowed', 'Method not allowed on this path');
    }
    if (config.METRICS_TOKEN && !tokenMatches(ctx.get('authorization'), config.METRICS_TOKEN)) {
      throw new AppError('unauthenticated', 'unauthorized', 'Metrics need the scrape token');
    }
    ctx.type = registry.contentType;
    ctx.body = await registry.metrics();
  };
}

/** The metrics alone on their own port (METRICS_PORT), for a network only Prometheus reaches. */
export function startMetricsServer(port: number, host = '0.0.0.0'): Server {
  return createServer((req, res) => {
    if (req.url?.split('?')[0] !== '/metrics') {
      res.writeHead(404).end();
      return;
    }
    registry.metrics().then(
      (text) => res.writeHead(200, { 'content-type': registry.contentType }).end(text),
      () => res.writeHead(500).end(),
    );
  }).listen(port, host);
}
