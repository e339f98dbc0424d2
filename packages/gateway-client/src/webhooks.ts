import { createHmac, timingSafeEqual } from 'node:crypto';

/** How far a delivery's timestamp may be from the receiver's clock (Standard Webhooks' replay window). */
const TOLERANCE_SECONDS = 5 * 60;

export class WebhookRejected extends Error {
  constructor(
    readonly reason: 'missing_headers' | 'bad_signature' | 'stale' | 'malformed',
    message: string,
  ) {
    super(message);
    this.name = 'WebhookRejected';
  }
}

/** Who an engine webhook is about (its envelope's `customer`). */
export interface WebhookCustomer {
  id: string;
  email: string | null;
  user_id: string | null;
}

export interface EngineWebhook {
  id: string;
  type: string;
  timestamp: string;
  customer: WebhookCustomer | null;
  data: unknown;
}

const header = (headers: Record<string, string | string[] | undefined>, name: string): string | null => {
  const v = headers[name] ?? headers[name.toLowerCase()];
  return typeof v === 'string' ? v : Array.isArray(v) ? (v[0] ?? null) : null;
};

/**
 * Checks one delivery of the engine's outgoing webhooks (Standard Webhooks: HMAC-SHA256 over
 * `id.timestamp.body` with the endpoint's `whsec_` secret) and returns its envelope. `body` must be the
 * bytes as received: a body parsed and serialised again no longer matches its signature.
 */
export function verifyWebhook(
  secret: string,
  body: string | Buffer,
  headers: Record<string, string | string[] | undefined>,
  nowMs: number = Date.now(),
): EngineWebhook {
  const id = header(headers, 'webhook-id');
  const timestamp = header(headers, 'webhook-timestamp');
  const signatures = header(headers, 'webhook-signature');
  if (!id || !timestamp || !signatures)
    throw new WebhookRejected(
      'missing_headers',
      'webhook-id, webhook-timestamp and webhook-signature are required',
    );
  const seconds = Number(timestamp);
  if (!/^\d{1,12}$/.test(timestamp) || Math.abs(nowMs / 1000 - seconds) > TOLERANCE_SECONDS)
    throw new WebhookRejected('stale', 'the delivery is more than five minutes from now');
  const key = Buffer.from(secret.startsWith('whsec_') ? secret.slice(6) : secret, 'base64');
  const text = typeof body === 'string' ? body : body.toString('utf8');
  const expected = createHmac('sha256', key).update(`${id}.${timestamp}.${text}`).digest();
  const matches = signatures.split(' ').some((s) => {
    const [version, value] = s.split(',', 2);
    if (version !== 'v1' || !value) return false;
    const given = Buffer.from(value, 'base64');
    return given.length === expected.length && timingSafeEqual(given, expected);
  });
  if (!matches)
    throw new WebhookRejected('bad_signature', 'no signature of the delivery checks with the secret');
  let envelope: unknown;
  try {
    envelope = JSON.parse(text);
  } catch {
    throw new WebhookRejected('malformed', 'the body is not JSON');
  }
  const e = envelope as Partial<EngineWebhook> | null;
  if (!e || typeof e !== 'object' || typeof e.type !== 'string' || typeof e.id !== 'string')
    throw new WebhookRejected('malformed', 'the body is not an engine webhook envelope');
  return {
    id: e.id,
    type: e.type,
    timestamp: String(e.timestamp ?? ''),
    customer: e.customer ?? null,
    data: e.data ?? null,
  };
}
