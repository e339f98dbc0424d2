import type { Server } from 'node:http';
import type { Middleware } from 'koa';
import type { Config } from '../config/env';
import { registry } from '../telemetry/registry';
import { startMetricsListener, tokenMatches } from '../telemetry/metrics-listener';
import { AppError } from '../domain/errors';

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

/**
 * The metrics alone on their own port (METRICS_PORT), on METRICS_HOST (loopback unless a scraper on
 * another host must reach it), with the same scrape token as on PORT when METRICS_TOKEN is set.
 */
export function startMetricsServer(
  config: Pick<Config, 'METRICS_TOKEN' | 'METRICS_HOST'> & { METRICS_PORT: number },
): Promise<Server> {
  return startMetricsListener({
    port: config.METRICS_PORT,
    host: config.METRICS_HOST,
    token: config.METRICS_TOKEN,
    metrics: async () => ({ contentType: registry.contentType, body: await registry.metrics() }),
  });
}
