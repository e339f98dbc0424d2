import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import type { Middleware } from 'koa';
import { context, propagation, trace } from '../../telemetry/tracing';

/**
 * One server span per request, continuing the caller's trace (W3C `traceparent`) when it sends one. It is
 * the active span while the request runs, so the Temporal calls it makes (and through their headers the
 * workflows and activities) join the same trace. Named by route template once routing has matched.
 */
export function httpTracing(): Middleware {
  const tracer = trace.getTracer('billing-api');
  return async (ctx, next) => {
    const parent = propagation.extract(context.active(), ctx.headers);
    const span = tracer.startSpan(
      `${ctx.method} ${ctx.path}`,
      { kind: SpanKind.SERVER, attributes: { 'http.request.method': ctx.method } },
      parent,
    );
    try {
      await context.with(trace.setSpan(parent, span), next);
    } finally {
      const route = (ctx as { _matchedRoute?: string | RegExp })._matchedRoute;
      if (typeof route === 'string') {
        span.updateName(`${ctx.method} ${route}`);
        span.setAttribute('http.route', route);
      }
      span.setAttribute('http.response.status_code', ctx.status);
      if (ctx.status >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
      span.end();
    }
  };
}
