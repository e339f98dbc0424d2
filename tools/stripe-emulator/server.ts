import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Emulator } from './emulator';
import { StripeApiError } from './errors';
import { applyExpansions } from './expand';
import { parseForm, type Params } from './form';
import { newId } from './ids';
import { stringList } from './params';
import type { Router } from './router';

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function sortedJson(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(
          Object.entries(v as Record<string, unknown>).sort(([a], [b]) => a.localeCompare(b)),
        )
      : v,
  );
}

function send(res: ServerResponse, status: number, body: string, headers: Record<string, string>): void {
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(body),
    ...headers,
  });
  res.end(body);
}

function apiKeyOf(req: IncomingMessage): string {
  const auth = req.headers.authorization ?? '';
  if (!auth) {
    throw new StripeApiError(401, {
      type: 'invalid_request_error',
      message:
        "You did not provide an API key. You need to provide your API key in the Authorization header, using Bearer auth (e.g. 'Authorization: Bearer YOUR_SECRET_KEY').",
    });
  }
  let key = '';
  if (auth.startsWith('Bearer ')) key = auth.slice(7).trim();
  else if (auth.startsWith('Basic '))
    key = Buffer.from(auth.slice(6), 'base64').toString('utf8').split(':')[0] ?? '';
  if (!/^(sk|rk)_test_\w+/.test(key)) {
    const shown = key.length > 8 ? `${key.slice(0, 8)}${'*'.repeat(4)}${key.slice(-4)}` : key;
    throw new StripeApiError(401, {
      type: 'invalid_request_error',
      message: `Invalid API Key provided: ${shown}`,
    });
  }
  return key;
}

/** One request through the pipeline Stripe applies: faults (ours), auth, idempotency, routing, expansion. */
export async function handleApi(
  emu: Emulator,
  router: Router,
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
  body: string,
): Promise<void> {
  const method = (req.method ?? 'GET').toUpperCase();
  emu.requestLog.push({ method, path: url.pathname });
  if (emu.requestLog.length > 10_000) emu.requestLog.splice(0, emu.requestLog.length - 10_000);
  const requestId = newId('req', 14);
  const baseHeaders: Record<string, string> = {
    'request-id': requestId,
    'stripe-version': String(req.headers['stripe-version'] ?? ''),
  };
  const fault = emu.faults.take(method, url.pathname);
  if (fault?.kind === 'drop') {
    req.socket.destroy();
    return;
  }
  if (fault?.kind === 'latency') await sleep(fault.latencyMs);
  if (fault?.kind === 'error500') {
    const err = new StripeApiError(500, {
      type: 'api_error',
      message: 'An unknown error occurred (injected by the emulator).',
    });
    return send(res, 500, JSON.stringify(err.toJSON()), baseHeaders);
  }
  if (fault?.kind === 'rateLimit') {
    const err = new StripeApiError(429, {
      type: 'rate_limit_error',
      code: 'rate_limit',
      message: 'Request rate limit exceeded (injected by the emulator).',
    });
    return send(res, 429, JSON.stringify(err.toJSON()), { ...baseHeaders, 'stripe-should-retry': 'true' });
  }
  if (fault?.kind === 'invalidRequest') {
    const err = new StripeApiError(400, {
      type: 'invalid_request_error',
      message: 'The request was refused (injected by the emulator).',
    });
    return send(res, 400, JSON.stringify(err.toJSON()), { ...baseHeaders, 'stripe-should-retry': 'false' });
  }

  let apiKey: string;
  try {
    apiKey = apiKeyOf(req);
  } catch (e) {
    const err = e as StripeApiError;
    return send(res, err.status, JSON.stringify(err.toJSON()), baseHeaders);
  }

  const params: Params = { ...parseForm(url.search.slice(1)), ...parseForm(body) };
  const idemHeader = req.headers['idempotency-key'];
  const idempotencyKey =
    method === 'POST' && typeof idemHeader === 'string' && idemHeader ? idemHeader : null;
  const scopedKey = idempotencyKey ? `${apiKey}\u0000${idempotencyKey}` : null;
  const fingerprint = `${method} ${url.pathname} ${sortedJson(params)}`;
  if (scopedKey && idempotencyKey) {
    const headers = { ...baseHeaders, 'idempotency-key': idempotencyKey };
    const prior = emu.idempotency.get(scopedKey);
    if (prior) {
      if (prior.fingerprint === fingerprint) {
        return send(res, prior.status, prior.body, { ...headers, 'idempotent-replayed': 'true' });
      }
      const err = new StripeApiError(400, {
        type: 'idempotency_error',
        message: `Keys for idempotent requests can only be used with the same parameters they were first used with. Try using a key other than '${idempotencyKey}' if you meant to execute a different request.`,
      });
      return send(res, 400, JSON.stringify(err.toJSON()), headers);
    }
    if (emu.inFlightKeys.has(scopedKey)) {
      const err = new StripeApiError(409, {
        type: 'idempotency_error',
        code: 'idempotency_key_in_use',
        message: `There is currently another in-progress request using this Stripe-Idempotency-Key ('${idempotencyKey}'). Please try again later.`,
      });
      return send(res, 409, JSON.stringify(err.toJSON()), headers);
    }
    emu.inFlightKeys.add(scopedKey);
  }

  let status = 200;
  let payload: string;
  let extraHeaders: Record<string, string> = {};
  try {
    const match = router.match(method, url.pathname);
    if (!match) {
      throw new StripeApiError(404, {
        type: 'invalid_request_error',
        message: `Unrecognized request URL (${method}: ${url.pathname}). The Stripe emulator does not implement this endpoint.`,
      });
    }
    emu.currentRequest = { id: requestId, idempotencyKey };
    const result = await match.handler({
      method,
      path: url.pathname,
      params,
      pathParams: match.pathParams,
      apiKey,
      idempotencyKey,
      requestId,
    });
    const expanded = applyExpansions(result, stringList(params, 'expand'), (id) => {
      const rec = emu.store.find(id);
      return rec ? emu.present(rec) : undefined;
    });
    payload = JSON.stringify(expanded);
  } catch (e) {
    if (e instanceof StripeApiError) {
      status = e.status;
      payload = JSON.stringify(e.toJSON());
      extraHeaders = e.headers;
    } else {
      status = 500;
      payload = JSON.stringify({
        error: { type: 'api_error', message: `Emulator error: ${(e as Error).message}` },
      });
    }
  } finally {
    emu.currentRequest = { id: null, idempotencyKey: null };
    if (scopedKey) emu.inFlightKeys.delete(scopedKey);
  }
  // Stripe saves the outcome of a keyed request, errors included, unless the server itself failed.
  if (scopedKey && status < 500 && status !== 429)
    emu.idempotency.set(scopedKey, { fingerprint, status, body: payload });
  const headers = { ...baseHeaders, ...extraHeaders };
  if (idempotencyKey) headers['idempotency-key'] = idempotencyKey;
  send(res, status, payload, headers);
}

export { readBody };
