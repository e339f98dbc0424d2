import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import type Router from '@koa/router';
import type { Context } from 'koa';
import type { Identity } from '../../domain/identity';
import type { AppDeps } from '../deps';
import { DEFAULT_BODY_LIMIT, parseJson, readAll } from '../middleware/body';
import { answerFailure } from '../middleware/error-handler';
import { logRequest, requestIdOf } from '../middleware/request-context';
import { guardInput } from '../validation/untrusted-input';
import {
  bareLaneRequests,
  httpRequestBegan,
  httpRequestEnded,
  httpRequestHandedOn,
} from '../../telemetry/api-metrics';
import {
  authorize,
  bodyToValidate,
  parse,
  refuseMalformedUrl,
  runHandler,
  type AnyRoute,
} from './define-route';

/**
 * The gateway asks check-access (and the entitlements) before every model call and reports its usage after,
 * so what Koa's chain costs around the work is a large part of such a request: building the context, eight
 * middleware, the router's dispatch. A request for a route marked `bare` is answered here, on Node's server,
 * by the same steps the chain takes for it: the route the router matches, the in-flight ceiling's early
 * look, the token, the role, the URL checks, the body, the route's own schemas and handler, the request id,
 * the access log line and the request metrics.
 *
 * Until a route's body is read, anything but its 200 answer (a refusal, an error thrown, a path the router
 * would give to more than one route, another spelling, a body in another form) is handed to Koa untouched,
 * which serves it as it always did: nothing has changed yet, so running it again there is harmless. Once a
 * body is read it cannot be handed on, and a handler that may have written must not run twice: the lane
 * answers a failure itself, by the rule Koa's error handler follows (answerFailure).
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
    const found = mayBeBare(req) ? matchBare(router, byHandle, req) : null;
    if (!found || !bodyFits(found.route, req)) {
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

/** GET or POST: the only methods a bare route is mounted for, so the only ones worth matching. */
const mayBeBare = (req: IncomingMessage) => req.method === 'GET' || req.method === 'POST';

/**
 * A body the lane reads as Koa would: none at all, or, for a route that reads JSON, a declared length within
 * the route's limit and JSON's own media type. Anything else (chunks, another type or charset, too many
 * bytes) is Koa's to read or refuse.
 */
function bodyFits(route: AnyRoute, req: IncomingMessage): boolean {
  const length = req.headers['content-length'];
  if (req.headers['transfer-encoding'] !== undefined) return false;
  if (length === undefined || length === '0') return true;
  if (!route.body) return false;
  const type = req.headers['content-type'];
  return (
    /^[1-9][0-9]{0,9}$/.test(length) &&
    Number(length) <= (route.bodyLimit ?? DEFAULT_BODY_LIMIT) &&
    type !== undefined &&
    (type === 'application/json' || JSON_UTF8.test(type))
  );
}

/**
 * JSON's media type as clients spell it, in any letter case, with or without a UTF-8 charset: a subset of
 * what Koa's chain reads as JSON, so nothing the lane takes would have been refused there.
 */
const JSON_UTF8 = /^application\/json(?:[ \t]*;[ \t]*charset=(?:utf-8|"utf-8"))?$/i;

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

/** Serves the request; false when Koa must serve it (nothing of it has been read or done then). */
async function answer(
  { route, path, querystring, params }: Found,
  req: IncomingMessage,
  res: ServerResponse,
  deps: AppDeps,
  begun: bigint,
): Promise<boolean> {
  const ceiling = route.inFlight;
  // Koa's first look (shedEarly): a full ceiling is answered 503 there before the token is read.
  if (ceiling && ceiling.inProgress >= ceiling.limit) return false;
  const identity = await identityOf(req, deps);
  if (identity === undefined) return false;
  authorize(route.access, identity);
  refuseMalformedUrl(path, querystring);
  const inputs = {
    params: parse(route.params, guardInput(params, 'params'), 'params'),
    query: parse(route.query, guardInput(queryOf(querystring), 'query'), 'query'),
    identity,
    deps,
    ctx: NO_CONTEXT,
  };
  if (!route.body) {
    const result = await runHandler(route, { ...inputs, body: undefined } as never);
    if (typeof result !== 'object' || result === null || res.headersSent) return false;
    send(req, res, deps, begun, route, path, 200, JSON.stringify(result));
    return true;
  }
  // The ceiling filled since the first look: Koa's route refuses it with 503, before the body is read.
  if (ceiling && !ceiling.tryEnter()) return false;
  const requestId = requestIdOf(req.headers['x-request-id'] as string | undefined);
  try {
    const result = await runHandler(route, { ...inputs, body: await bodyOf(route, req) } as never);
    send(req, res, deps, begun, route, path, 200, JSON.stringify(result), requestId);
  } catch (err) {
    const failure = answerFailure(err, requestId, () => deps.logger.child({ requestId }));
    if (failure.retryAfter !== undefined) res.setHeader('Retry-After', failure.retryAfter);
    send(req, res, deps, begun, route, path, failure.status, JSON.stringify(failure.body), requestId);
  } finally {
    ceiling?.leave();
  }
  return true;
}

/**
 * The body as Koa's chain gives it to the route's schema: read within the route's limit, parsed as JSON,
 * guarded unless the handler guards it (bodyFits let through only JSON with a declared length).
 */
async function bodyOf(route: AnyRoute, req: IncomingMessage): Promise<unknown> {
  const length = req.headers['content-length'];
  const raw = length === undefined || length === '0' ? EMPTY : await readAll(req, Number(length));
  const body = bodyToValidate(raw.length > 0 ? parseJson(raw) : undefined, route.bodyGuard);
  return parse(route.body, body, 'body');
}

const EMPTY = Buffer.alloc(0);

/** Writes the answer, then counts it and logs its line as Koa's chain would. */
function send(
  req: IncomingMessage,
  res: ServerResponse,
  deps: AppDeps,
  begun: bigint,
  route: AnyRoute,
  path: string,
  status: number,
  json: string,
  requestId = requestIdOf(req.headers['x-request-id'] as string | undefined),
): void {
  res.statusCode = status;
  res.setHeader('X-Request-Id', requestId);
  res.setHeader('Content-Type', 'application/json; charset=utf-8');
  res.setHeader('Content-Length', Buffer.byteLength(json));
  res.end(json);
  bareLaneRequests.inc({ outcome: 'served' });
  httpRequestEnded(begun, req.method as string, route.fullPath, status);
  if (deps.logger.isLevelEnabled('info'))
    logRequest(deps.logger.child({ requestId }), { method: req.method as string, path, status }, begun);
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
