import { postBody } from './post';
import { signatureHeader } from './signature';
import type { EventRec } from './types';

export interface WebhookTarget {
  url: string;
  secret: string;
  enabledEvents: string[];
}

export interface WebhookBehavior {
  /** Delay before each attempt; the attempt count is this length + 1. */
  retryDelaysMs: number[];
  /** Deliver every event twice, as Stripe occasionally does. */
  duplicate: boolean;
  /** Hold events briefly and deliver each batch newest first. */
  outOfOrder: boolean;
  /** How long out-of-order delivery holds a batch (default 25 ms): longer makes a burst certain under load. */
  outOfOrderHoldMs?: number;
  /** Extra delay before the first attempt of each event. */
  delayMs: number;
  timeoutMs: number;
  /**
   * At most this many deliveries on the wire at once, the rest waiting their turn in order (unset: no
   * limit). A burst of thousands of renewals would otherwise open a connection per event, more than the
   * receiving end (nginx's worker connections, the port range) takes.
   */
  maxInFlight?: number;
}

export interface DeliveryRecord {
  eventId: string;
  type: string;
  url: string;
  attempt: number;
  status: number | null;
  error: string | null;
  at: number;
}

export const DEFAULT_WEBHOOK_BEHAVIOR: WebhookBehavior = {
  retryDelaysMs: [1_000, 5_000, 30_000, 120_000],
  duplicate: false,
  outOfOrder: false,
  delayMs: 0,
  timeoutMs: 10_000,
};

const OUT_OF_ORDER_HOLD_MS = 25;

/** Delivers signed events to endpoints, retrying non-2xx answers with backoff, and counts work in flight. */
export class WebhookDispatcher {
  behavior: WebhookBehavior;
  readonly deliveries: DeliveryRecord[] = [];
  private pending = 0;
  private idleWaiters: (() => void)[] = [];
  private held: { event: EventRec; target: WebhookTarget }[] = [];
  private holdTimer: NodeJS.Timeout | null = null;
  private readonly timers = new Set<NodeJS.Timeout>();
  private stopped = false;
  private onTheWire = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(behavior: Partial<WebhookBehavior> = {}) {
    this.behavior = { ...DEFAULT_WEBHOOK_BEHAVIOR, ...behavior };
  }

  /** Returns how many endpoints will receive the event, which Stripe reports as `pending_webhooks`. */
  dispatch(event: EventRec, targets: WebhookTarget[]): number {
    const matching = targets.filter(
      (t) => t.enabledEvents.includes('*') || t.enabledEvents.includes(event.type),
    );
    for (const target of matching) {
      const copies = this.behavior.duplicate ? 2 : 1;
      for (let i = 0; i < copies; i++) {
        this.pending++;
        if (this.behavior.outOfOrder) this.hold(event, target);
        else this.schedule(event, target, 1, this.behavior.delayMs);
      }
    }
    return matching.length;
  }

  private hold(event: EventRec, target: WebhookTarget): void {
    this.held.push({ event, target });
    if (this.holdTimer) return;
    this.holdTimer = setTimeout(() => {
      this.holdTimer = null;
      const batch = this.held.reverse();
      this.held = [];
      for (const h of batch) this.schedule(h.event, h.target, 1, this.behavior.delayMs);
    }, this.behavior.outOfOrderHoldMs ?? OUT_OF_ORDER_HOLD_MS);
  }

  private schedule(event: EventRec, target: WebhookTarget, attempt: number, delayMs: number): void {
    if (this.stopped) return this.done();
    if (delayMs <= 0) {
      void this.attempt(event, target, attempt);
      return;
    }
    const t = setTimeout(() => {
      this.timers.delete(t);
      void this.attempt(event, target, attempt);
    }, delayMs);
    this.timers.add(t);
  }

  private async attempt(event: EventRec, target: WebhookTarget, attempt: number): Promise<void> {
    const max = this.behavior.maxInFlight;
    // A delivery that finishes hands its place to the next waiting one, so the limit is never passed.
    if (max !== undefined && this.onTheWire >= max) await new Promise<void>((r) => this.waiting.push(r));
    else this.onTheWire++;
    try {
      if (!this.stopped) await this.send(event, target, attempt);
    } finally {
      const next = this.waiting.shift();
      if (next) next();
      else this.onTheWire--;
    }
  }

  private async send(event: EventRec, target: WebhookTarget, attempt: number): Promise<void> {
    const payload = JSON.stringify(event, null, 2);
    const signature = signatureHeader(payload, target.secret, Math.floor(Date.now() / 1000));
    let status: number | null = null;
    let error: string | null = null;
    try {
      status = await postBody(
        target.url,
        {
          'content-type': 'application/json; charset=utf-8',
          'stripe-signature': signature,
          'user-agent': 'Stripe/1.0 (+https://stripe.com/docs/webhooks)',
        },
        payload,
        this.behavior.timeoutMs,
      );
    } catch (e) {
      error = e instanceof Error ? e.message : String(e);
    }
    this.deliveries.push({
      eventId: event.id,
      type: event.type,
      url: target.url,
      attempt,
      status,
      error,
      at: Date.now(),
    });
    const ok = status !== null && status >= 200 && status < 300;
    const nextDelay = this.behavior.retryDelaysMs[attempt - 1];
    if (!ok && nextDelay !== undefined && !this.stopped) {
      this.schedule(event, target, attempt + 1, nextDelay);
      return;
    }
    this.done();
  }

  private done(): void {
    this.pending--;
    if (this.pending > 0) return;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const w of waiters) w();
  }

  /** Resolves once every delivery, including retries, has succeeded or given up. */
  idle(): Promise<void> {
    if (this.pending === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  reset(): void {
    this.deliveries.length = 0;
  }

  stop(): void {
    this.stopped = true;
    if (this.holdTimer) clearTimeout(this.holdTimer);
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    this.held = [];
    this.pending = 1;
    this.done();
  }
}
