import { Context } from '@temporalio/activity';
import { sqlFor } from '../../db/raw-sql';
import { fanOutPass, queueHead, strandedDeliveryQueues } from '../../db/webhook-deliveries';
import { clockOf } from '../../domain/clock';
import { fanOut } from '../../domain/webhook-delivery';
import type { ActivityDeps } from '../deps';
import type { WebhookQueue } from './shared';

const POLL_MS = 250;

function heartbeat(): void {
  try {
    Context.current().heartbeat();
  } catch {
    // Called outside an activity (a test): nobody to tell.
  }
}

/** Fanning events out to endpoints, and finding the queues with work. */
export function createWebhookQueueActivities(deps: ActivityDeps) {
  const { orm } = deps;
  const clock = clockOf(deps);

  /** One pass: the unpublished events, oldest first, become deliveries to the endpoints that want them. */
  function fanOutOnce(limit: number): Promise<{ queues: WebhookQueue[]; events: number }> {
    return fanOutPass(orm.em.fork(), limit, clock.now(), fanOut);
  }

  /**
   * Waits (up to `waitMs`, looking every 250 ms) for unpublished events, then turns them into deliveries
   * and answers the queues that have new work. Waiting here rather than in the workflow keeps the
   * dispatcher's history short while an event still goes out within a quarter of a second.
   */
  async function fanOutWebhookEvents(
    req: { waitMs?: number; limit?: number } = {},
  ): Promise<{ queues: WebhookQueue[]; more: boolean }> {
    const limit = req.limit ?? 200;
    // A stopwatch, not business time: how long this call has polled, measured on the monotonic clock (a
    // test's clock standing still must not make the wait endless).
    const deadline = performance.now() + (req.waitMs ?? 0);
    for (;;) {
      const pass = await fanOutOnce(limit);
      if (pass.events > 0 || performance.now() >= deadline)
        return { queues: pass.queues, more: pass.events === limit };
      heartbeat();
      await new Promise((r) => setTimeout(r, POLL_MS));
    }
  }

  /**
   * Queues with a pending delivery nobody is working on: never tried a while after it was made, or long past
   * its next try (its queue workflow ended between a look and a new delivery, or the endpoint came back on).
   */
  async function strandedWebhookQueues(req: { graceMs?: number } = {}): Promise<{ queues: WebhookQueue[] }> {
    const sql = sqlFor(orm.em.fork());
    const rows = await strandedDeliveryQueues(sql, new Date(clock.now().getTime() - (req.graceMs ?? 30_000)));
    return { queues: rows.map((r) => ({ endpointId: r.endpoint_id, queueKey: r.queue_key })) };
  }

  /**
   * The oldest pending delivery of a queue and how long until it is due, or null when the queue is empty
   * or its endpoint is off or gone (what waits stays pending for when it is back on).
   */
  async function nextWebhookDelivery(
    q: WebhookQueue,
  ): Promise<{ deliveryId: string; waitMs: number } | null> {
    const head = await queueHead(orm.em.fork(), q);
    if (!head) return null;
    const waitMs = head.nextAttemptAt ? Math.max(0, head.nextAttemptAt.getTime() - clock.now().getTime()) : 0;
    return { deliveryId: head.id, waitMs };
  }

  return { fanOutWebhookEvents, strandedWebhookQueues, nextWebhookDelivery };
}
