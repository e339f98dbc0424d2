import type Router from '@koa/router';
import type { Context, Middleware } from 'koa';
import { type z, type ZodType } from 'zod';
import { AppError, forbidden, unauthorized } from '../../domain/errors';
import { GATEWAY_ROLE, mayCall, type Access } from '../../domain/roles';
import type { Identity } from '../../domain/identity';
import type { RouteRateLimitClass } from '../../domain/rate-limit';
import { routeLimitPerMinute } from '../../services/rate-limits/rate-limiter';
import { guardInput, InputRejected } from '../validation/untrusted-input';
import type { AppDeps } from '../deps';
import { DEFAULT_BODY_LIMIT, readBody } from '../middleware/body';
import { validationFailed } from '../errors';
import { requestsShed } from '../../telemetry/api-metrics';
import { InFlightLimit } from './in-flight';

/**
 * Who may call a route: anyone; a person with at least this role ('viewer' = any signed-in person); the
 * gateway alone; or either (`viewer|billing-gateway`). See domain/roles.ts.
 */
export type { Access };

type Infer<T> = T extends ZodType ? z.output<T> : undefined;

export interface HandlerInput<P, Q, B, A extends Access> {
  params: Infer<P>;
  query: Infer<Q>;
  body: Infer<B>;
  identity: A extends 'public' ? Identity | null : Identity;
  deps: AppDeps;
  ctx: Context;
}

export interface RouteSpec<P, Q, B, A extends Access> {
  method: 'get' | 'post' | 'put' | 'patch' | 'delete';
  /** Koa-style path under the router's prefix, e.g. `/plans/:plan_id`. */
  path: string;
  summary: string;
  tags: string[];
  access: A;
  params?: P;
  query?: Q;
  body?: B;
  /** The answer's schema; every route declares one (a test holds the suite's answers to it). */
  response?: ZodType;
  /** The answer's media type when it is not JSON (e.g. `application/pdf`); `response` then describes it. */
  produces?: string;
  /** Status on success (default 200); handlers that write ctx.body themselves return undefined. */
  status?: number;
  /**
   * `handler`: the handler guards the body itself (report_usage refuses a bad event by index instead of
   * refusing the whole batch). Query and path parameters are always guarded here.
   */
  bodyGuard?: 'handler';
  /**
   * The per-caller bucket this route takes a token from (domain/rate-limit.ts): `stripe` for whatever
   * calls Stripe or starts or signals a workflow, `key_test`, `pdf`. Past it: 429 rate_limited with
   * Retry-After. Taken after the input is valid, so a malformed request costs the caller nothing.
   */
  rateLimit?: RouteRateLimitClass;
  /**
   * The setting that caps this route's requests in progress in one API process (see InFlightLimit): past it,
   * 503 overloaded with Retry-After, before the body is read. Only for routes a caller may safely repeat.
   */
  shedAbove?: 'USAGE_REPORTS_IN_FLIGHT_MAX';
  /**
   * Served by an access-lane API too (API_SERVES=access): a question the gateway asks before each model
   * call, which must stay fast while reports flood the APIs that take them.
   */
  accessLane?: true;
  /**
   * Answered beside Koa's chain when the request is plain (api/routing/bare-lane.ts): what the gateway sends
   * around each model call. The handler must never touch `ctx`. A route without a body is answered there
   * only when it answers 200 (anything else is served again by Koa); one with a JSON body, once the body
   * is read, is answered there whatever happens, by the same rules as Koa's chain.
   */
  bare?: true;
  /** The largest body the route reads, in bytes (DEFAULT_BODY_LIMIT unless it needs more). */
  bodyLimit?: number;
  /** Extra documented responses (e.g. 404 when another customer's object is asked for). */
  errors?: Record<number, string>;
  /**
   * Where the use case's business fields sit on the wire, e.g. `{ amountCents: 'body.amount_cents' }`:
   * use cases name what they know (domain/errors.ts), and a caller is told the field they sent.
   */
  fields?: Record<string, string>;
  handler(input: HandlerInput<P, Q, B, A>): Promise<unknown>;
}

// Erased form kept for the OpenAPI document and the RBAC walk.
export type AnyRoute = RouteSpec<ZodType | undefined, ZodType | undefined, ZodType | undefined, Access> & {
  fullPath: string;
  /** The ceiling of a route with `shedAbove`: the route enters it, the app's first middleware reads it. */
  inFlight?: InFlightLimit;
  /** What serves the route once matched (the router's handler; staticRoutes calls it directly). */
  handle?: (ctx: Context) => Promise<void>;
};

export function defineRoute<
  P extends ZodType | undefined = undefined,
  Q extends ZodType | undefined = undefined,
  B extends ZodType | undefined = undefined,
  A extends Access = Access,
>(spec: RouteSpec<P, Q, B, A>): RouteSpec<P, Q, B, A> {
  return spec;
}

export function parse(
  schema: ZodType | undefined,
  value: unknown,
  where: 'params' | 'query' | 'body',
): unknown {
  if (!schema) return undefined;
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  throw validationFailed(result.error.issues, where);
}

/**
 * Percent-encoding that does not decode to UTF-8 (a stray `%`, `%FF`, an encoded surrogate) is refused:
 * Node's query parser and the router would otherwise pass it on raw or as U+FFFD.
 */
export function refuseMalformedUrl(path: string, querystring: string): void {
  const check = (text: string, field: string) => {
    // Only a `%` sequence can fail to decode: most URLs have none to look at.
    if (!text.includes('%')) return;
    try {
      decodeURIComponent(text.replace(/\+/g, ' '));
    } catch {
      throw new InputRejected(field, 'malformed_percent_encoding');
    }
  };
  check(path, 'path');
  for (const pair of querystring ? querystring.split('&') : []) {
    const [key = '', value = ''] = pair.split('=', 2);
    check(key, 'query');
    check(value, `query.${key}`);
  }
}

/**
 * The JSON body a route with a body schema takes: refused with 415 when something else was sent, so the
 * caller is told the content type is wrong rather than that a field is missing.
 */
function bodyOf(ctx: Context, bodyGuard: 'handler' | undefined): unknown {
  const raw = ctx.state.rawBody as Buffer | undefined;
  if (raw && raw.length > 0 && ctx.state.jsonBody !== true) {
    throw new AppError(
      'unsupported_media_type',
      'unsupported_media_type',
      'The body must be JSON (Content-Type: application/json)',
      {
        expected: 'application/json',
        received: ctx.get('content-type') || null,
      },
    );
  }
  return bodyToValidate(ctx.request.body, bodyGuard);
}

/** What a route's body schema is given: no body is an empty object, guarded unless the handler guards it. */
export function bodyToValidate(parsed: unknown, bodyGuard: 'handler' | undefined): unknown {
  // A JSON `null` is a body, and not an object: the schema refuses it rather than taking it as empty.
  const body = parsed === undefined ? {} : parsed;
  return bodyGuard === 'handler' ? body : guardInput(body, 'body');
}

export function authorize(access: Access, identity: Identity | null): void {
  if (access === 'public') return;
  if (!identity) throw unauthorized();
  if (mayCall(identity.role, access)) return;
  throw forbidden(
    identity.role === GATEWAY_ROLE
      ? `The ${GATEWAY_ROLE} role may not call this route`
      : `This route needs the ${access.replace('|', ' or ')} role`,
  );
}

/** Mounts routes on a router with validation and access checks, and records them for the docs. */
export function mount(
  router: Router,
  prefix: string,
  routes: RouteSpec<any, any, any, any>[], // eslint-disable-line @typescript-eslint/no-explicit-any
  deps: AppDeps,
  registry: AnyRoute[],
): void {
  for (const spec of routes as AnyRoute[]) {
    const fullPath = `${prefix}${spec.path}`;
    if (spec.bare) mayServeBare(spec, fullPath);
    const inFlight = spec.shedAbove ? new InFlightLimit(deps.config[spec.shedAbove]) : null;
    const handle = async (ctx: Context) => {
      const identity = (ctx.state.identity as Identity | undefined) ?? null;
      authorize(spec.access, identity);
      refuseMalformedUrl(ctx.path, ctx.querystring);
      if (!inFlight) return serve(spec, deps, ctx, identity);
      if (!inFlight.tryEnter()) throw shed(fullPath);
      try {
        await serve(spec, deps, ctx, identity);
      } finally {
        inFlight.leave();
      }
    };
    registry.push({
      ...spec,
      fullPath,
      ...(spec.rateLimit || spec.shedAbove
        ? { errors: { ...documentedRefusals(spec), ...spec.errors } }
        : {}),
      ...(inFlight && { inFlight }),
      handle,
    });
    router[spec.method](fullPath, handle);
  }
}

/** A route the bare lane could not serve as Koa does is a mistake in its definition, found at start-up. */
function mayServeBare(spec: AnyRoute, fullPath: string): void {
  const why =
    spec.method !== 'get' && spec.method !== 'post'
      ? `its method is ${spec.method}`
      : spec.bodyGuard && !spec.body
        ? 'it guards a body it does not read'
        : spec.rateLimit
          ? 'it takes a rate-limit token'
          : spec.produces || spec.status
            ? 'it answers other than 200 JSON'
            : null;
  if (why) throw new Error(`${spec.method.toUpperCase()} ${fullPath} cannot be bare: ${why}`);
}

/** A route path's pattern as the router matches it (parameters match one segment; case-insensitive). */
const patternOf = (path: string) =>
  new RegExp(`^${path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace(/:[A-Za-z0-9_]+/g, '[^/]+')}/?$`, 'i');

/**
 * Routes without parameters found by one map lookup instead of the router's walk through every route's
 * pattern (4 % of a usage report's CPU went there on SQLite). A path the router would give to a route with
 * parameters mounted before it is left to the router, as is any path not spelled exactly as mounted (a
 * trailing slash, other letter case): the router answers those as it always did.
 */
export function staticRoutes(routes: readonly AnyRoute[]): Middleware {
  const direct = new Map<string, AnyRoute>();
  routes.forEach((r, i) => {
    if (!r.handle || r.fullPath.includes(':')) return;
    const key = `${r.method.toUpperCase()} ${r.fullPath}`;
    const shadowed = routes
      .slice(0, i)
      .some(
        (e) => e.method === r.method && e.fullPath.includes(':') && patternOf(e.fullPath).test(r.fullPath),
      );
    if (!shadowed && !direct.has(key)) direct.set(key, r);
  });
  return (ctx, next) => {
    const route = direct.get(`${ctx.method} ${ctx.path}`);
    if (!route) return next();
    // What the router would have set: the parameters (none) and the route metrics and tracing label by.
    ctx.params = {};
    (ctx as { _matchedRoute?: string })._matchedRoute = route.fullPath;
    return (route.handle as (ctx: Context) => Promise<void>)(ctx);
  };
}

/** The 429 and 503 a route's rate limit and in-progress ceiling add to its documented answers. */
function documentedRefusals(spec: AnyRoute): Record<number, string> {
  const errors: Record<number, string> = {};
  if (spec.rateLimit)
    errors[429] = `Too many requests of this kind by this caller (rate_limited, class ${spec.rateLimit}; Retry-After)`;
  if (spec.shedAbove)
    errors[503] = `This API process has as many of these in progress as ${spec.shedAbove} allows (overloaded; Retry-After): nothing was recorded, send it again`;
  return errors;
}

const SHED_MESSAGE =
  'Too many of these requests are in progress here; nothing was recorded, send it again after Retry-After';

/** Refused before its body is read, once past the app's early look (a request that raced others in). */
function shed(route: string): AppError {
  requestsShed.inc({ route });
  return new AppError('unavailable', 'overloaded', SHED_MESSAGE, { retry_after_seconds: 1 });
}

/**
 * The app's first middleware: a request to a route whose ceiling is reached is answered 503 `overloaded`
 * before anything else runs for it (no token checked, no logger, no routing), with a body made once. A
 * flood past the ceiling then costs the process little more than reading its requests, so the requests
 * it admits, and the routes with no ceiling, keep their speed. The route still enters its ceiling itself:
 * this is only the cheap early look.
 */
export function shedEarly(routes: readonly AnyRoute[]): Middleware {
  const limited = new Map(
    routes.filter((r) => r.inFlight).map((r) => [`${r.method.toUpperCase()} ${r.fullPath}`, r]),
  );
  const answer = JSON.stringify({
    error: { code: 'overloaded', message: SHED_MESSAGE, details: { retry_after_seconds: 1 } },
  });
  return (ctx, next) => {
    if (limited.size === 0) return next();
    const route = limited.get(`${ctx.method} ${ctx.path}`);
    const limit = route?.inFlight;
    if (!route || !limit || limit.inProgress < limit.limit) return next();
    requestsShed.inc({ route: route.fullPath });
    ctx.status = 503;
    ctx.set('Retry-After', '1');
    ctx.type = 'application/json';
    ctx.body = answer;
    return Promise.resolve();
  };
}

/** The route's work once admitted: the body read, the input validated, the handler run. */
async function serve(spec: AnyRoute, deps: AppDeps, ctx: Context, identity: Identity | null): Promise<void> {
  // Only now: an unauthenticated caller has no body read, let alone parsed.
  await readBody(ctx, spec.bodyLimit ?? DEFAULT_BODY_LIMIT);
  const input = {
    params: parse(spec.params, guardInput(ctx.params, 'params'), 'params'),
    query: parse(spec.query, guardInput(ctx.query, 'query'), 'query'),
    body: spec.body ? parse(spec.body, bodyOf(ctx, spec.bodyGuard), 'body') : undefined,
    identity,
    deps,
    ctx,
  } as HandlerInput<unknown, unknown, unknown, Access>;
  if (spec.rateLimit && identity) await takeRouteToken(deps, spec.rateLimit, identity);
  const result = await runHandler(spec, input);
  if (result !== undefined) {
    ctx.status = spec.status ?? 200;
    ctx.body = result;
  }
}

export async function runHandler(spec: AnyRoute, input: HandlerInput<unknown, unknown, unknown, Access>) {
  try {
    return await spec.handler(input as never);
  } catch (err) {
    throw spec.fields ? onTheWire(err, spec.fields) : err;
  }
}

/** The error with its business field (and the message that starts with it) renamed to the wire's path. */
export function onTheWire(err: unknown, fields: Record<string, string>): unknown {
  if (!(err instanceof AppError)) return err;
  const field = err.details?.field;
  if (typeof field !== 'string' || !Object.hasOwn(fields, field)) return err;
  const wire = fields[field] as string;
  const message = err.message.startsWith(`${field}:`)
    ? `${wire}${err.message.slice(field.length)}`
    : err.message;
  const renamed = new AppError(err.kind, err.code, message, { ...err.details, field: wire });
  renamed.stack = err.stack;
  return renamed;
}

/**
 * One token of the route's class for the caller, or 429 (RateLimited, whose details say when to come back:
 * the answer's Retry-After, answerFailure).
 */
async function takeRouteToken(
  deps: AppDeps,
  limitClass: RouteRateLimitClass,
  identity: Identity,
): Promise<void> {
  await deps.rateLimiter.enforce(limitClass, identity.sub, routeLimitPerMinute(deps.config, limitClass));
}
