import type { Middleware } from 'koa';
import { httpRequestBegan, httpRequestEnded } from '../../telemetry/api-metrics';

/**
 * Outermost: times every request by its route template (`/api/v1/plans/:plan_id`, never the id itself),
 * so the figure includes error handling and the label set stays small. Unrouted paths count as one.
 */
export const httpMetrics: Middleware = async (ctx, next) => {
  const start = httpRequestBegan();
  try {
    await next();
  } finally {
    const route = (ctx as { _matchedRoute?: string | RegExp })._matchedRoute;
    httpRequestEnded(start, ctx.method, typeof route === 'string' ? route : 'unmatched', ctx.status);
  }
};
