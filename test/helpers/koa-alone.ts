import { request as httpRequest } from 'node:http';
import { httpRequestDuration } from '../../telemetry/api-metrics';

/** A request exactly as written (no URL normalisation); a body as text or as bytes. */
export type Sent = { method: string; path: string; headers: Record<string, string>; body?: string | Buffer };
/** An answer as received, with the (method, route, status) the request metrics counted for it. */
export type Answer = { status: number; headers: Record<string, string>; body: string; routes: string[] };

/** Sends `sent` to the server at `base` and reads the answer, counting what the request metrics counted. */
export async function sendCounted(base: string, sent: Sent): Promise<Answer> {
  const before = await countsByLabels();
  const answer = await send(base, sent);
  const after = await countsByLabels();
  const routes = [...after].filter(([k, n]) => n !== (before.get(k) ?? 0)).map(([k]) => k);
  return { ...answer, routes };
}

async function countsByLabels(): Promise<Map<string, number>> {
  const metric = await httpRequestDuration.get();
  return new Map(
    metric.values
      .filter((v) => v.metricName?.endsWith('_count'))
      .map((v) => [`${v.labels.method} ${v.labels.route} ${v.labels.status}`, v.value]),
  );
}

function send(base: string, sent: Sent): Promise<Omit<Answer, 'routes'>> {
  const { port } = new URL(base);
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      { host: '127.0.0.1', port, method: sent.method, path: sent.path, headers: sent.headers, agent: false },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers as Record<string, string>,
            body: Buffer.concat(chunks).toString('utf8'),
          }),
        );
      },
    );
    req.on('error', reject);
    req.end(sent.body);
  });
}

/**
 * What must be equal between the bare lane's answer and Koa alone's: the answer less its date and request
 * id (checked here: the caller's sane one echoed, else a fresh one), with a signed snapshot's time-bound
 * parts and the ids the engine made set aside.
 */
export function comparable(a: Answer, sentId: string | undefined) {
  const { date, ...headers } = a.headers;
  if (date === undefined) throw new Error(`no Date: ${JSON.stringify(a)}`);
  const requestId = headers['x-request-id'];
  // A sane id the caller sent is echoed; otherwise each server makes its own.
  if (sentId !== undefined && /^[A-Za-z0-9._:-]{1,128}$/.test(sentId)) expect(requestId).toBe(sentId);
  else expect(requestId).toMatch(/^[0-9a-f-]{36}$/);
  let body: unknown = a.body;
  if (headers['content-type']?.includes('json') && a.body) {
    body = JSON.parse(a.body, (key, value: unknown) =>
      typeof value !== 'string'
        ? value
        : key === 'token' || key === 'expires_at' || key === 'request_id'
          ? `<${key}>`
          : // An id the engine made (an event of the older form has none of its own) is each server's own.
            key === 'id' && /^uevt_[0-9a-z]+$/.test(value)
            ? '<made>'
            : value,
    );
  }
  const { 'x-request-id': _id, 'content-length': length, ...rest } = headers;
  if (a.body) expect(Number(length)).toBe(Buffer.byteLength(a.body));
  return { status: a.status, headers: Object.keys(rest).sort(), rest, body, routes: a.routes };
}
