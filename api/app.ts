import Router from '@koa/router';
import Koa from 'koa';
import { AppError } from '../domain/errors';
import type { AppDeps } from './deps';
import { StripeEventForwarder } from '../services/stripe-events/event-forwarder';
import { RateLimiter } from '../services/rate-limits/rate-limiter';
import { mountDocs } from './docs-assets';
import { renderDocsPage } from './docs-page';
import { mountReturnPages } from './pages/return-pages';
import { mountWebApp, webAppBuilt } from './pages/web-app';
import { authenticate } from './middleware/authenticate';
import { errorHandler } from './middleware/error-handler';
import { httpMetrics } from './middleware/http-metrics';
import { httpTracing } from './middleware/http-tracing';
import { metricsEndpoint } from './metrics-endpoint';
import { readGaugesFrom } from '../telemetry/database-gauges';
import { requestContext } from './middleware/request-context';
import { buildOpenApi } from './openapi';
import { mount, shedEarly, staticRoutes, type AnyRoute } from './routing/define-route';
import { rememberMatches } from './routing/remembered-matches';
import { withBareLane } from './routing/bare-lane';
import type { RequestListener } from 'node:http';
import { accessRoutes } from './routes/access/router';
import { adminBillingRoutes } from './routes/admin-billing/router';
import { adminConsoleRoutes } from './routes/admin-console/router';
import { commitmentRoutes } from './routes/commitments/router';
import { prepaidCommitRoutes } from './routes/prepaid-commits/router';
import { budgetRoutes } from './routes/budgets/router';
import { seatRoutes } from './routes/seats/router';
import { adminCreditRoutes } from './routes/admin-credits/router';
import { adminCouponRoutes } from './routes/admin-coupons/router';
import { adminCurrencyRoutes } from './routes/admin-currencies/router';
import { adminUsageRevenueRoutes } from './routes/admin-usage-revenue/router';
import { adminMarginRoutes } from './routes/admin-margins/router';
import { adminWebhookRoutes } from './routes/admin-webhooks/router';
import { entitlementRoutes } from './routes/entitlements/router';
import { adminRoutes } from './routes/admin/router';
import { authRoutes } from './routes/auth/router';
import { billingRoutes } from './routes/billing/router';
import { billingSummaryRoutes } from './routes/billing-summary/router';
import { trialRoutes } from './routes/billing/trial';
import { byokRoutes } from './routes/byok/router';
import { creditRoutes } from './routes/credits/router';
import { customerRoutes } from './routes/customers/router';
import { dunningRoutes } from './routes/dunning/router';
import { invoiceRoutes } from './routes/invoices/router';
import { healthRoutes } from './routes/health/router';
import { planRoutes } from './routes/plans/router';
import { usageRoutes } from './routes/usage/router';
import { stripeEventRoutes } from './routes/stripe-events/router';

export const API_PREFIX = '/api/v1';
const VERSION = '0.1.0';

/**
 * Builds the Koa app. Order matters: request metrics outermost, then the access log, errors, /metrics,
 * identity, routes; each route reads its body after its access check (api/routing/define-route.ts).
 */
export function createApp(
  input: Omit<AppDeps, 'stripeEventForwarder' | 'rateLimiter'> & { rateLimiter?: RateLimiter },
): {
  app: Koa;
  /** What the HTTP server serves: the bare lane for the gateway's plain questions, Koa for the rest. */
  handler: RequestListener;
  routes: AnyRoute[];
  openapi: Record<string, unknown>;
  stripeEventForwarder: StripeEventForwarder;
} {
  const accessLane = input.config.API_SERVES === 'access';
  const stripeEventForwarder = new StripeEventForwarder(input);
  // An access lane takes no Stripe events: nothing for its forwarder to sweep.
  if (accessLane) stripeEventForwarder.close();
  const deps: AppDeps = {
    ...input,
    stripeEventForwarder,
    rateLimiter: input.rateLimiter ?? new RateLimiter(input.orm),
  };
  const routes: AnyRoute[] = [];
  const router = new Router();
  mount(router, '', healthRoutes, deps, routes);
  const apiRoutes = [
    ...authRoutes,
    ...planRoutes,
    ...accessRoutes,
    ...entitlementRoutes,
    ...customerRoutes,
    ...billingRoutes,
    ...trialRoutes,
    ...stripeEventRoutes,
    ...byokRoutes,
    ...usageRoutes,
    ...billingSummaryRoutes,
    ...creditRoutes,
    ...adminRoutes,
    ...invoiceRoutes,
    ...adminBillingRoutes,
    ...adminConsoleRoutes,
    ...adminCreditRoutes,
    ...adminCouponRoutes,
    ...adminCurrencyRoutes,
    ...adminUsageRevenueRoutes,
    ...adminMarginRoutes,
    ...adminWebhookRoutes,
    ...dunningRoutes,
    ...seatRoutes,
    ...commitmentRoutes,
    ...prepaidCommitRoutes,
    ...budgetRoutes,
  ];
  mount(router, API_PREFIX, accessLane ? apiRoutes.filter((r) => r.accessLane) : apiRoutes, deps, routes);

  const openapi = buildOpenApi(routes, VERSION);
  const docs = renderDocsPage(openapi as never);
  router.get('/openapi.json', (ctx) => {
    ctx.body = openapi;
  });
  if (!accessLane) {
    // The web app draws Checkout's return pages once built; without it, small pages of the engine's do.
    if (webAppBuilt()) mountWebApp(router, { oidcIssuer: deps.config.OIDC_ISSUER });
    else mountReturnPages(router);
    mountDocs(router, docs);
  }

  readGaugesFrom(deps.orm);
  // X-Forwarded-* are anyone's to write: believed only behind the proxies TRUST_PROXY names, which
  // overwrite them; a number keeps only that many addresses from the right of X-Forwarded-For.
  const trust = deps.config.TRUST_PROXY;
  const app = new Koa({ proxy: trust !== false, maxIpsCount: typeof trust === 'number' ? trust : 0 });
  app.silent = true;
  // The access log wraps the error handler, so it logs the status the client was actually sent.
  // Before everything else: a flood past a route's ceiling is answered for next to nothing.
  app.use(shedEarly(routes));
  app.use(httpMetrics);
  if (deps.config.OTEL_EXPORTER_OTLP_ENDPOINT) app.use(httpTracing());
  app.use(requestContext(deps.logger));
  app.use(errorHandler);
  app.use(metricsEndpoint(deps.config));
  app.use(authenticate(deps.verifier));
  if (accessLane) app.use(notInAccessLane);
  app.use(staticRoutes(routes));
  rememberMatches(router);
  app.use(router.routes());
  app.use(
    router.allowedMethods({
      throw: true,
      methodNotAllowed: () =>
        new AppError('method_not_allowed', 'method_not_allowed', 'Method not allowed on this path'),
      // TRACE, CONNECT and other methods no route serves are the caller's mistake, not a missing feature.
      notImplemented: () =>
        new AppError('method_not_allowed', 'method_not_allowed', 'Method not allowed on this path'),
    }),
  );
  const handler = withBareLane(app.callback(), router, routes, deps);
  return { app, handler, routes, openapi, stripeEventForwarder };
}

/** A request an access lane does not serve is told so, and where it belongs. */
const notInAccessLane: Koa.Middleware = async (ctx, next) => {
  await next();
  if (ctx.status === 404 && ctx.body === undefined)
    throw new AppError(
      'not_found',
      'route_not_found',
      `No route for ${ctx.method} ${ctx.path} here: this API serves only the access lane (API_SERVES=access), ` +
        'check-access and the entitlements; send other requests to an API serving all',
    );
};
