import type { Middleware } from 'koa';
import { httpRequestDuration, httpRequestsInFlight, secondsSince } from '../../telemetry/api-metrics';

/**
 * Outermost: times every request by its route template (`/api/v1/plans/:plan_id`, never the id itself),
 * so the figure includes error handling and the label set stays small. Unrouted paths count as one.
 */
export const httpMetrics: Middleware = async (ctx, next) => {
  const start = process.hrtime.bigint();
  httpRequestsInFlight.inc();
  try {
    await next();
  } finally {
    httpRequestsInFlight.dec();
    const route = (ctx as { _matchedRoute?: string | RegExp })._matchedRoute;
    httpRequestDuration.observe(
      {
        method: ctx.method,
        route: typeof route === 'string' ? route : 'unmatched',
        status: String(ctx.status),
      },
      secondsSince(start),
    );
  }
};
