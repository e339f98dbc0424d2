import type { Logger } from 'pino';
import type Stripe from 'stripe';
import { StripeEvent } from '../../db/entities';
import {
  secondsSince,
  stripeEventForwardLag,
  stripeEventForwardTime,
  stripeEventOutcomes,
} from '../../telemetry/api-metrics';
import type { CoreDeps } from '../deps';
import { clockOf } from '../../domain/clock';
import { forwardStripeEvent, markForwarded, type ForwardedMark } from './forward';
import { RouteCache } from './targets';
import { SUPERSEDED_BY } from './route';
import { MIRRORED_FROM_PAYLOAD } from './mirror-payload';

const SWEEP_MS = 2_000;
/** An event not forwarded this long after it arrived is retried by the sweep (crash, Temporal outage). */
const STALE_MS = 5_000;
/** Forwarded marks are written together: one commit per burst instead of one per event. */
const MARK_EVERY_MS = 50;
const MARK_BATCH = 500;

/**
 * Hands recorded Stripe events to their workflows after the 2xx has gone out, so Stripe's acknowledgement
 * waits only for the durable insert. Events of one Stripe object share a lane and keep their order; a
 * sweep retries whatever is left unforwarded, so an event survives a crash or a Temporal outage. Several
 * API processes may forward the same event, and a crash between signal and mark forwards it again: the
 * workflow ignores an event id it has applied.
 */
export class StripeEventForwarder {
  private readonly lanes: Promise<void>[];
  private readonly timer: NodeJS.Timeout;
  private readonly routes = new RouteCache();
  /** Events queued or being forwarded here: a sweep during a backlog must not queue them twice. */
  private readonly inFlight = new Set<string>();
  /**
   * Each object's events queued here, in the order received: an event still waiting can make an earlier
   * one's work unnecessary (`routeOf`), which is how a backlog shrinks as it grows.
   */
  private readonly queued = new Map<string, { eventId: string; event?: Stripe.Event }[]>();
  private marks: ForwardedMark[] = [];
  private marking: Promise<void> = Promise.resolve();
  private markTimer: NodeJS.Timeout | null = null;
  private sweeping = false;

  constructor(
    private readonly deps: CoreDeps,
    private readonly logger: Logger = deps.logger,
  ) {
    this.lanes = Array.from({ length: deps.config.STRIPE_EVENT_FORWARD_LANES }, () => Promise.resolve());
    this.timer = setInterval(() => void this.sweep(), SWEEP_MS);
    this.timer.unref();
  }

  /** Queues one event behind earlier events of the same object; `event` spares re-reading its row. */
  kick(
    eventId: string,
    objectId: string | null,
    event?: Stripe.Event,
    receivedAt: Date = clockOf(this.deps).now(),
  ): Promise<void> {
    if (this.inFlight.has(eventId)) return Promise.resolve();
    this.inFlight.add(eventId);
    const key = objectId ?? eventId;
    const queue = this.queued.get(key) ?? [];
    queue.push({ eventId, event });
    this.queued.set(key, queue);
    const lane = laneOf(key, this.lanes.length);
    const next = (this.lanes[lane] as Promise<void>).then(() =>
      this.forward(eventId, event, receivedAt, key),
    );
    this.lanes[lane] = next;
    return next;
  }

  /** Waits until everything queued so far has been tried and its mark written. */
  async drain(): Promise<void> {
    await Promise.all(this.lanes);
    await this.flushMarks();
  }

  close(): void {
    clearInterval(this.timer);
  }

  private async forward(
    eventId: string,
    event: Stripe.Event | undefined,
    receivedAt: Date,
    key: string,
  ): Promise<void> {
    const start = process.hrtime.bigint();
    try {
      const mark = await forwardStripeEvent(this.deps, eventId, event, this.routes, this.waitingBehind(key));
      // Held in flight until its mark is written, so a sweep in between does not send it again.
      if (mark) {
        this.queueMark(mark);
        const outcome = outcomeOf(mark);
        stripeEventOutcomes.inc({ outcome });
        stripeEventForwardTime.observe({ outcome }, secondsSince(start));
        // Lag from the stored arrival time, so read on the clock that stamped it (record.ts), not a stopwatch.
        stripeEventForwardLag.observe((clockOf(this.deps).now().getTime() - receivedAt.getTime()) / 1000);
      } else this.inFlight.delete(eventId);
    } catch (err) {
      stripeEventOutcomes.inc({ outcome: 'failed' });
      stripeEventForwardTime.observe({ outcome: 'failed' }, secondsSince(start));
      this.inFlight.delete(eventId);
      this.logger.warn({ err, eventId }, 'stripe event not forwarded yet; the sweep retries it');
    } finally {
      this.dequeue(key);
    }
  }

  /** The events of the object at the head of its queue that came after it (those with their payload). */
  private waitingBehind(key: string): Stripe.Event[] {
    const queue = this.queued.get(key) ?? [];
    return queue.slice(1).flatMap((q) => (q.event ? [q.event] : []));
  }

  /** A lane takes an object's events in the order queued, so the one done is the head. */
  private dequeue(key: string): void {
    const queue = this.queued.get(key);
    queue?.shift();
    if (queue?.length === 0) this.queued.delete(key);
  }

  private queueMark(mark: ForwardedMark): void {
    this.marks.push(mark);
    if (this.marks.length >= MARK_BATCH) void this.flushMarks();
    else if (!this.markTimer) this.markTimer = setTimeout(() => void this.flushMarks(), MARK_EVERY_MS);
  }

  /** Writes queued marks, one flush at a time; a failed write leaves the events to the sweep. */
  private flushMarks(): Promise<void> {
    if (this.markTimer) clearTimeout(this.markTimer);
    this.markTimer = null;
    this.marking = this.marking.then(async () => {
      const batch = this.marks;
      this.marks = [];
      try {
        await markForwarded(this.deps.orm, batch, clockOf(this.deps).now());
      } catch (err) {
        this.logger.warn(
          { err, events: batch.length },
          'forwarded marks not written; the sweep resends them',
        );
      } finally {
        for (const m of batch) this.inFlight.delete(m.eventId);
      }
    });
    return this.marking;
  }

  private async sweep(): Promise<void> {
    if (this.sweeping) return;
    this.sweeping = true;
    try {
      const stale = await this.deps.orm.em
        .fork()
        .find(
          StripeEvent,
          { forwardedAt: null, receivedAt: { $lt: new Date(clockOf(this.deps).now().getTime() - STALE_MS) } },
          { orderBy: { receivedAt: 'asc' }, limit: 200, fields: ['id', 'objectId', 'receivedAt'] },
        );
      for (const e of stale) await this.kick(e.id, e.objectId ?? null, undefined, e.receivedAt);
      await this.flushMarks();
    } catch (err) {
      this.logger.warn({ err }, 'stripe event sweep failed');
    } finally {
      this.sweeping = false;
    }
  }
}

/** Mirrored from its payload alone, handed to workflows (and perhaps mirrored too), or neither. */
function outcomeOf(mark: ForwardedMark): 'mirrored' | 'superseded' | 'forwarded' | 'ignored' {
  if (mark.workflowIds === MIRRORED_FROM_PAYLOAD) return 'mirrored';
  if (mark.workflowIds?.startsWith(SUPERSEDED_BY)) return 'superseded';
  return mark.workflowIds ? 'forwarded' : 'ignored';
}

function laneOf(key: string, lanes: number): number {
  let h = 0;
  for (let i = 0; i < key.length; i++) h = (h * 31 + key.charCodeAt(i)) | 0;
  return Math.abs(h) % lanes;
}
