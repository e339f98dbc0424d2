import type { SpooledEvent } from './spool';

/** What the engine said of one batch: which events are done with, and when to try the rest again. */
export type BatchOutcome =
  /** Answered for every event: each is stored, a duplicate, or refused for good (`rejected`). */
  | { kind: 'answered'; rejected: { event: SpooledEvent; reason: string }[] }
  /** Not taken: send the same events again, no sooner than `retryAfterMs` (null: the client's backoff). */
  | { kind: 'retry'; retryAfterMs: number | null; why: string; renewToken: boolean };

interface RejectedEvent {
  index: number;
  reason: string;
}

const isRejectedList = (v: unknown): v is RejectedEvent[] =>
  Array.isArray(v) &&
  v.every(
    (r) =>
      r &&
      typeof r === 'object' &&
      typeof (r as RejectedEvent).index === 'number' &&
      typeof (r as RejectedEvent).reason === 'string',
  );

/** The body of one report: each event names its customer, so one batch may carry many customers. */
export function batchBody(events: readonly SpooledEvent[]): string {
  return JSON.stringify({
    events: events.map((e) => ({
      id: e.id,
      type: e.type,
      quantity: e.quantity,
      timestamp: e.timestamp,
      ...(e.customer.email !== undefined
        ? { customer_email: e.customer.email }
        : { user_id: e.customer.userId }),
      ...(e.metadata !== undefined && { metadata: e.metadata }),
      ...(e.byok !== undefined && { byok: e.byok }),
      ...(e.subject !== undefined && { subject: e.subject }),
    })),
  });
}

const retryAfterOf = (value: string | null): number | null => {
  if (!value) return null;
  const seconds = Number(value);
  if (Number.isFinite(seconds) && seconds >= 0) return Math.min(seconds, 3600) * 1000;
  const at = Date.parse(value);
  return Number.isFinite(at) ? Math.max(0, at - Date.now()) : null;
};

/**
 * Reads the engine's answer to `POST /billing/report_usage`. A 200, or a 429 whose body carries the batch's
 * outcome (the day's cap refused it whole), answers for every event. A request the engine did not take (shed
 * with 503, a 5xx, a timeout) is sent again with the same ids: the engine counts an event once per id. A
 * request the engine can never take (400, 404, 413: the client's own mistake) answers its events as refused,
 * so one bad batch cannot hold the spool up forever.
 */
export function readBatchAnswer(
  events: readonly SpooledEvent[],
  status: number,
  retryAfter: string | null,
  body: unknown,
): BatchOutcome {
  const rejectedOf = (list: RejectedEvent[]) =>
    list.flatMap((r) => {
      const event = events[r.index];
      return event ? [{ event, reason: r.reason }] : [];
    });
  if (status === 200) {
    const list = (body as { rejected_events?: unknown } | null)?.rejected_events;
    if (isRejectedList(list)) return { kind: 'answered', rejected: rejectedOf(list) };
    return { kind: 'retry', retryAfterMs: null, why: 'an answer without rejected_events', renewToken: false };
  }
  const error = (body as { error?: { code?: unknown; details?: { rejected_events?: unknown } } } | null)
    ?.error;
  const code = typeof error?.code === 'string' ? error.code : `http_${status}`;
  if (status === 429 && isRejectedList(error?.details?.rejected_events))
    return { kind: 'answered', rejected: rejectedOf(error.details.rejected_events) };
  if (status === 400 || status === 404 || status === 413 || status === 422)
    return { kind: 'answered', rejected: events.map((event) => ({ event, reason: code })) };
  return { kind: 'retry', retryAfterMs: retryAfterOf(retryAfter), why: code, renewToken: status === 401 };
}

/** Full-jitter exponential backoff: 250 ms doubling to 30 s, a random share of it. */
export function backoffMs(failures: number, random: () => number = Math.random): number {
  const ceiling = Math.min(30_000, 250 * 2 ** Math.min(failures, 10));
  return Math.round(ceiling * (0.5 + random() / 2));
}
