import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import type Router from '@koa/router';
import type { Context } from 'koa';
import type { Identity } from '../../domain/identity';
import type { AppDeps } from '../deps';
import { logRequest, requestIdOf } from '../middleware/request-context';
import { guardInput } from '../validation/untrusted-input';
import {
  bareLaneRequests,
  httpRequestBegan,
  httpRequestEnded,
  httpRequestHandedOn,
} from '../../telemetry/api-metrics';
import { authorize, parse, refuseMalformedUrl, runHandler, type AnyRoute } from './define-route';

/**
 * The gateway asks check-access (and the entitlements) before every model call, so what Koa's chain costs
 * around the answer is most of such a request: building the context, eight middleware, the router's
 * dispatch. A request for a route marked `bare` is answered here, on Node's server, by the same steps the
 * chain takes for it: the route the router matches, the token, the role, the URL and input checks, the
 * route's own schemas and handler, the request id, the access log line and the request metrics.
 *
 * Only its 200 answer is written here. Anything else (a refusal, an error thrown anywhere, a body sent, a
 * path the router would give to more than one route, another spelling) is handed to Koa untouched, which
 * serves it as it always did: a bare route changes nothing, so running it again there is harmless.
 */
export function withBareLane(
  koa: RequestListener,
  router: Router,
  routes: readonly AnyRoute[],
  deps: AppDeps,
): RequestListener {
  const byHandle = new Map(routes.filter((r) => r.bare && r.handle).map((r) => [r.handle, r]));
  // Tracing spans are made by Koa's middleware: with tracing on, every request goes through it.
  if (byHandle.size === 0 || deps.config.OTEL_EXPORTER_OTLP_ENDPOINT) return koa;
  return (req, res) => {
    const found = plainRequest(req) ? matchBare(router, byHandle, req) : null;
    if (!found) {
      koa(req, res);
      return;
    }
    const begun = httpRequestBegan();
    answer(found, req, res, deps, begun).then(
      (served) => served || handOn(koa, req, res),
      // Thrown before the answer was written: Koa serves it. After (the metrics, the log line): it was served.
      () => res.headersSent || handOn(koa, req, res),
    );
  };
}

function handOn(koa: RequestListener, req: IncomingMessage, res: ServerResponse): void {
  httpRequestHandedOn();
  bareLaneRequests.inc({ outcome: 'handed_on' });
  koa(req, res);
}

type Found = { route: AnyRoute; path: string; querystring: string; params: Record<string, string> };

/** A request with no body, as a gateway asks: one with a body (even an empty JSON object) goes to Koa. */
function plainRequest(req: IncomingMessage): boolean {
  if (req.method !== 'GET' && req.method !== 'POST') return false;
  const length = req.headers['content-length'];
  return (length === undefined || length === '0') && req.headers['transfer-encoding'] === undefined;
}

/**
 * The bare route this request's path reaches, split as Koa splits it (parseurl's fast path: a URL that
 * starts with `/` and holds no whitespace, `#`, NBSP or BOM), when it is the only route the router matches.
 */
function matchBare(
  router: Router,
  byHandle: ReadonlyMap<unknown, AnyRoute>,
  req: IncomingMessage,
): Found | null {
  const url = req.url ?? '';
  if (url.charCodeAt(0) !== 0x2f || /[\s#\u00a0\ufeff]/.test(url)) return null;
  const q = url.indexOf('?');
  const path = q < 0 ? url : url.slice(0, q);
  const matched = router.match(path, req.method as string);
  const layer = matched.pathAndMethod.length === 1 ? matched.pathAndMethod[0] : undefined;
  const route = layer && layer.stack.length === 1 ? byHandle.get(layer.stack[0]) : undefined;
  if (!layer || !route) return null;
  const params = layer.params(path, layer.captures(path), {});
  return { route, path, querystring: q < 0 ? '' : url.slice(q + 1), params };
}

/** Any use of the context by a bare route's handler is a mistake: it throws, and Koa serves the request. */
const NO_CONTEXT = new Proxy(
  {},
  {
    get() {
      throw new Error('a bare route touched ctx');
    },
  },
) as Context;

/** Serves the request if it is answered 200; false when Koa must serve it. */
async function answer(
  { route, path, querystring, params }: Found,
  req: IncomingMessage,
  res: ServerResponse,
  deps: AppDeps,
  begun: bigint,
): Promise<boolean> {
  const identity = await identityOf(req, deps);
  if (identity === undefined) return false;
  authorize(route.access, identity);
  refuseMalformedUrl(path, querystring);
  const input = {
    params: parse(route.params, guardInput(params, 'params'), 'params'),
    query: parse(route.query, guardInput(queryOf(querystring), 'query'), 'query'),
    body: undefined,
    identity,
    deps,
    ctx: NO_CONTEXT,
  };
  const result = await runHandler(route, input as never);
  if (typeof result !== 'object' || result === null || res.headersSent) return false;
  const json = JSON.stringify(result);
  const requestId = requestIdOf(req.headers['x-request-id'] as string | undefined);
  res.statusCode = 200;
  res.setHeader('X-Request-Id', requestId);
  res.setHeader('Content-Type', 'application/json; charset=utf-8');
  res.setHeader('Content-Length', Buffer.byteLength(json));
  res.end(json);
  bareLaneRequests.inc({ outcome: 'served' });
  httpRequestEnded(begun, req.method as string, route.fullPath, 200);
  if (deps.logger.isLevelEnabled('info'))
    logRequest(deps.logger.child({ requestId }), { method: req.method as string, path, status: 200 }, begun);
  return true;
}

/** The caller as Koa's authenticate finds them; undefined for a header it would refuse. */
async function identityOf(req: IncomingMessage, deps: AppDeps): Promise<Identity | null | undefined> {
  const header = req.headers.authorization;
  if (!header) return null;
  const token = /^Bearer\s+(\S+)$/i.exec(header)?.[1];
  return token ? deps.verifier.verify(token) : undefined;
}

/** The query as Koa parses it: URLSearchParams, a repeated key's values as an array, keys as own fields. */
function queryOf(querystring: string): Record<string, string | string[]> {
  const query: Record<string, string | string[]> = {};
  if (!querystring) return query;
  const search = new URLSearchParams(querystring);
  for (const key of new Set(search.keys())) {
    const values = search.getAll(key);
    const value = values.length <= 1 ? (values[0] as string) : values;
    Object.defineProperty(query, key, { value, writable: true, enumerable: true, configurable: true });
  }
  return query;
}
