import type { IncomingMessage, ServerResponse } from 'node:http';
import { badRequest, LagoApiError, notFound, unauthorized } from './errors';
import { isObject } from './params';
import type { Router } from './router';
import type { LagoStore } from './store';

export type OutageMode = 'refuse' | 'unavailable';

/** Switches a test flips to make the fake misbehave the way a real deployment can. */
export interface FaultState {
  down: OutageMode | null;
  failures: InjectedFailure[];
}

export interface FailureOptions {
  /** How many matching requests fail; defaults to 1. */
  count?: number;
  method?: string;
  /** Exact path, e.g. `/api/v1/subscriptions`; any path when left out. */
  path?: string;
  /** The answer's body; Lago's envelope for the status when left out. */
  body?: Record<string, unknown>;
}

export interface InjectedFailure extends FailureOptions {
  status: number;
  remaining: number;
}

const REASONS: Record<number, string> = {
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
  504: 'Gateway Timeout',
};

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
  });
  res.end(text);
}

function parseJson(raw: string): Record<string, unknown> {
  if (raw.trim() === '') return {};
  try {
    const parsed: unknown = JSON.parse(raw);
    return isObject(parsed) ? parsed : {};
  } catch {
    throw badRequest('invalid JSON body');
  }
}

function takeFailure(faults: FaultState, method: string, path: string): InjectedFailure | null {
  const next = faults.failures.find(
    (f) => (!f.method || f.method.toUpperCase() === method) && (!f.path || f.path === path),
  );
  if (!next) return null;
  if (--next.remaining <= 0) faults.failures = faults.failures.filter((f) => f !== next);
  return next;
}

const envelope = (status: number) => ({ status, error: REASONS[status] ?? 'Error' });

/** One API request: outage and injected failures first, then the bearer key, then the route. */
export async function handle(
  store: LagoStore,
  router: Router,
  faults: FaultState,
  apiKey: string,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://lago');
  const method = req.method ?? 'GET';
  const record = (status: number) => store.requests.push({ method, path: url.pathname, status });
  if (faults.down === 'refuse') {
    // A keep-alive socket opened before the outage: drop it as a dead host would.
    req.socket.destroy();
    return;
  }
  const raw = await readBody(req);
  if (faults.down === 'unavailable') {
    record(503);
    return send(res, 503, envelope(503));
  }
  const failure = takeFailure(faults, method, url.pathname);
  if (failure) {
    record(failure.status);
    return send(res, failure.status, failure.body ?? envelope(failure.status));
  }
  let status = 200;
  let body: unknown;
  try {
    if (req.headers.authorization !== `Bearer ${apiKey}`) throw unauthorized();
    const route = router.match(method, url.pathname);
    if (!route) throw notFound('route');
    const result = route.handler({
      store,
      params: route.params,
      query: url.searchParams,
      body: parseJson(raw),
    });
    status = result.status ?? 200;
    body = result.body;
  } catch (err) {
    if (!(err instanceof LagoApiError)) throw err;
    status = err.status;
    body = err.body;
  }
  record(status);
  send(res, status, body);
}
