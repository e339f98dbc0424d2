/**
 * How outgoing webhooks are retried, when a delivery is given up, and when an endpoint that keeps failing
 * is turned off. Pure: the caller passes the clock and the random draw.
 */

export interface RetryPolicy {
  /** The pause after the first failed attempt; each later pause doubles, up to `maxDelayMs`. */
  firstDelayMs: number;
  maxDelayMs: number;
  /** How long after its first attempt a delivery is still retried (3 days by default). */
  retryForMs: number;
}

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/** 5 s, 10 s, 20 s… up to an hour apart, for three days: about eighty tries before a delivery is given up. */
export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  firstDelayMs: 5_000,
  maxDelayMs: HOUR,
  retryForMs: 3 * DAY,
};

/** An endpoint failing without a single success for this long is turned off (WEBHOOK_DISABLE_AFTER_DAYS). */
export const DEFAULT_DISABLE_AFTER_MS = 5 * DAY;

/**
 * When to try again after failed attempt number `attempt` (1 for the first), or null when the delivery is
 * given up because the next try would fall past `retryForMs` from the first. The pause is drawn between
 * half and all of the exponential step ("equal jitter"): receivers coming back from an outage are not met
 * by every queue at the same instant, and no pause is ever shorter than half the step.
 */
export function nextAttemptAt(
  policy: RetryPolicy,
  attempt: number,
  firstAttemptAt: Date,
  now: Date,
  random: number,
): Date | null {
  const exponent = Math.min(Math.max(attempt - 1, 0), 40);
  const step = Math.min(policy.maxDelayMs, policy.firstDelayMs * 2 ** exponent);
  const jitter = Math.min(Math.max(random, 0), 1);
  const delay = Math.round(step / 2 + (step / 2) * jitter);
  const at = new Date(now.getTime() + delay);
  return at.getTime() - firstAttemptAt.getTime() > policy.retryForMs ? null : at;
}

/**
 * Whether an endpoint whose failures began at `failingSince` is to be turned off now: only when it has
 * failed for the whole window, so a receiver that is down for an hour a day stays on.
 */
export function shouldDisable(failingSince: Date | null, now: Date, disableAfterMs: number): boolean {
  return failingSince !== null && now.getTime() - failingSince.getTime() >= disableAfterMs;
}

/** What counts as delivered: any 2xx. A redirect is a failure (none is followed), as is every other code. */
export function deliveredStatus(statusCode: number): boolean {
  return statusCode >= 200 && statusCode <= 299;
}

const EXCERPT_CHARS = 500;

/**
 * The start of a receiver's answer as the delivery log keeps it: printable characters only (a hostile
 * receiver's control characters and escape sequences never reach an operator's terminal or page), and at
 * most 500 of them.
 */
export function responseExcerpt(body: string): string {
  const printable = body.replace(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u2028\u2029\ufffd]/g, '');
  return printable.length > EXCERPT_CHARS ? `${printable.slice(0, EXCERPT_CHARS)}…` : printable;
}

/** Whether an endpoint wants an event of this type. */
export function endpointWants(endpoint: { enabled: boolean; eventTypes: readonly string[] }, type: string) {
  return endpoint.enabled && endpoint.eventTypes.includes(type);
}

/** A delivery as recorded before an attempt's result is written, with its endpoint's state. */
export interface DeliveryRecord {
  status: 'pending' | 'succeeded' | 'failed';
  attempts: number;
  firstAttemptAt: Date | null;
  nextAttemptAt: Date | null;
  deliveredAt: Date | null;
  /** Null when the endpoint has been deleted meanwhile: its streak and switch are then left alone. */
  endpoint: { enabled: boolean; failingSince: Date | null } | null;
}

/** What one attempt makes of the delivery and its endpoint's failure streak, and whether the endpoint goes off. */
export interface AttemptResult {
  outcome: 'delivered' | 'retry' | 'given_up';
  delivery: Omit<DeliveryRecord, 'endpoint'>;
  failingSince: Date | null;
  turnOff: boolean;
}

/**
 * An attempt's result, decided from the records as they stand in the transaction that writes it. A success
 * ends the delivery and the endpoint's streak. A failure starts the streak; an admin's redelivery
 * (`manual`) changes nothing else, while a try of the queue counts, is scheduled again with backoff or
 * given up past the window, and turns the endpoint off once it has failed for the whole disable window.
 */
export function attemptResult(
  record: DeliveryRecord,
  attempt: { ok: boolean; at: Date; now: Date; manual: boolean; random: number },
  policy: { retry: RetryPolicy; disableAfterMs: number },
): AttemptResult {
  const { endpoint, ...delivery } = record;
  if (attempt.ok) {
    return {
      outcome: 'delivered',
      delivery: { ...delivery, status: 'succeeded', deliveredAt: attempt.now, nextAttemptAt: null },
      failingSince: null,
      turnOff: false,
    };
  }
  const failingSince = endpoint ? (endpoint.failingSince ?? attempt.at) : null;
  if (attempt.manual) return { outcome: 'retry', delivery, failingSince, turnOff: false };
  const attempts = delivery.attempts + 1;
  const firstAttemptAt = delivery.firstAttemptAt ?? attempt.at;
  const next = nextAttemptAt(policy.retry, attempts, firstAttemptAt, attempt.now, attempt.random);
  return {
    outcome: next ? 'retry' : 'given_up',
    delivery: {
      ...delivery,
      status: next ? delivery.status : 'failed',
      attempts,
      firstAttemptAt,
      nextAttemptAt: next,
    },
    failingSince,
    turnOff: (endpoint?.enabled ?? false) && shouldDisable(failingSince, attempt.now, policy.disableAfterMs),
  };
}

/** An event to hand out, and one delivery of it to an endpoint in its customer's queue ('' for none). */
export interface EventToFanOut {
  id: string;
  customerId: string | null;
  type: string;
  createdAt: Date;
}
export interface Fanned {
  event: EventToFanOut;
  endpointId: string;
  queueKey: string;
}

/**
 * Which endpoints receive which events, in the events' order, and the queues that so get new work (each
 * once): an endpoint's deliveries line up per customer, so one customer's slow receiver holds no other's.
 */
export function fanOut(
  events: readonly EventToFanOut[],
  endpoints: readonly { id: string; enabled: boolean; eventTypes: readonly string[] }[],
): { deliveries: Fanned[]; queues: { endpointId: string; queueKey: string }[] } {
  const deliveries: Fanned[] = [];
  const queues = new Map<string, { endpointId: string; queueKey: string }>();
  for (const event of events) {
    for (const endpoint of endpoints) {
      if (!endpointWants(endpoint, event.type)) continue;
      const queueKey = event.customerId ?? '';
      deliveries.push({ event, endpointId: endpoint.id, queueKey });
      queues.set(`${endpoint.id}\0${queueKey}`, { endpointId: endpoint.id, queueKey });
    }
  }
  return { deliveries, queues: [...queues.values()] };
}
