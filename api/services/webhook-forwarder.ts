import type { Logger } from 'pino';
import { WebhookEvent } from '../../db/entities';
import type { AppDeps } from '../deps';
import { forwardStripeEvent } from './stripe-webhooks';

const LANES = 8;
const SWEEP_MS = 2_000;
/** An event not forwarded this long after it arrived is retried by the sweep (crash, Temporal outage). */
const STALE_MS = 5_000;

/**
 * Hands recorded webhook events to their workflows after the 2xx has gone out, so Stripe's acknowledgement
 * waits only for the durable insert. Events of one Stripe object share a lane and keep their order; a
 * sweep retries whatever is left unforwarded, so an event survives a crash or a Temporal outage. Several
 * API processes may forward the same event: the workflow ignores an event id it has applied.
 */
export class WebhookForwarder {
  private readonly lanes: Promise<void>[] = Array.from({ length: LANES }, () => Promise.resolve());
  private readonly timer: NodeJS.Timeout;
  private sweeping = false;

  constructor(
    private readonly deps: Omit<AppDeps, 'webhooks'>,
    private readonly logger: Logger = deps.logger,
  ) {
    this.timer = setInterval(() => void this.sweep(), SWEEP_MS);
    this.timer.unref();
  }

  /** Queues one event behind earlier events of the same object. */
  kick(eventId: string, objectId: string | null): Promise<void> {
    const lane = laneOf(objectId ?? eventId);
    const next = (this.lanes[lane] as Promise<void>).then(() => this.forward(eventId));
    this.lanes[lane] = next;
    return next;
  }

  /** Waits until everything queued so far has been tried. */
  async drain(): Promise<void> {
    await Promise.all(this.lanes);
  }

  close(): void {
    clearInterval(this.timer);
  }

  private async forward(eventId: string): Promise<void> {
    try {
      await forwardStripeEvent(this.deps, eventId);
    } catch (err) {
      this.logger.warn({ err, eventId }, 'webhook event not forwarded yet; the sweep retries it');
    }
  }

  private async sweep(): Promise<void> {
    if (this.sweeping) return;
    this.sweeping = true;
    try {
      const stale = await this.deps.orm.em
        .fork()
        .find(
          WebhookEvent,
          { forwardedAt: null, receivedAt: { $lt: new Date(Date.now() - STALE_MS) } },
          { orderBy: { receivedAt: 'asc' }, limit: 200, fields: ['id', 'objectId'] },
        );
      for (const e of stale) await this.kick(e.id, e.objectId ?? null);
    } catch (err) {
      this.logger.warn({ err }, 'webhook sweep failed');
    } finally {
      this.sweeping = false;
    }
  }
}

function laneOf(key: string): number {
  let h = 0;
  for (let i = 0; i < key.length; i++) h = (h * 31 + key.charCodeAt(i)) | 0;
  return Math.abs(h) % LANES;
}
