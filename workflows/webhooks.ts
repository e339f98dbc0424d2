import { ActivityFailure, continueAsNew, log, proxyActivities, sleep } from '@temporalio/workflow';
import type { Activities, AttemptOutcome, WebhookQueue } from '../activities';
import { dbActivityOptions } from './activity-options';
import { workflowIds } from './ids';
import { startDetached } from './start-detached';

/** The workflow id of the one dispatcher: a second start finds the running one. */
export const WEBHOOK_DISPATCH_WORKFLOW_ID = 'webhook-dispatch';

const db = proxyActivities<Activities>(dbActivityOptions);

/** The dispatcher's wait for new events: long, so an idle engine adds little history; it heartbeats. */
const fanOut = proxyActivities<Activities>({
  ...dbActivityOptions,
  startToCloseTimeout: '1 minute',
  heartbeatTimeout: '10 seconds',
}).fanOutWebhookEvents;

/**
 * One HTTP attempt: its own timeout (WEBHOOK_TIMEOUT_MS, at most a minute) is inside this one. A failed
 * send is a result, not an error; what Temporal retries is the database or the worker going away.
 */
const { attemptWebhookDelivery } = proxyActivities<Activities>({
  ...dbActivityOptions,
  startToCloseTimeout: '90 seconds',
  scheduleToCloseTimeout: undefined,
});

export interface WebhookDispatchInput {
  /** How long each look waits for new events before the loop goes round (default 20 s). */
  waitMs?: number;
  /** Looks per run before continue-as-new keeps the history short (default 100). */
  looksPerRun?: number;
  /** Every this many looks, restart queues nobody works on (default 5). */
  sweepEvery?: number;
  /** How far past due a pending delivery must be to count as nobody's (default 30 s). */
  strandedAfterMs?: number;
  /** Stop after this many looks (tests). */
  maxLooks?: number;
  /** Carried across continue-as-new. */
  looks?: number;
}

/**
 * Turns each new billing event into deliveries to the endpoints that want it, and starts the queue of
 * each endpoint and customer that has new work. Queues deliver in order; this loop only wakes them.
 */
export async function webhookDispatchWorkflow(input: WebhookDispatchInput = {}): Promise<number> {
  const looksPerRun = input.looksPerRun ?? 100;
  const sweepEvery = input.sweepEvery ?? 5;
  let looks = input.looks ?? 0;
  for (let run = 0; run < looksPerRun; run++) {
    try {
      const fresh = await fanOut({ waitMs: input.waitMs ?? 20_000 });
      for (const q of fresh.queues) await startQueue(q);
      if (looks % sweepEvery === 0)
        for (const q of (await db.strandedWebhookQueues({ graceMs: input.strandedAfterMs ?? 30_000 })).queues)
          await startQueue(q);
    } catch (err) {
      // A look that fails for good is logged and the next one tries again: the loop must not end.
      if (!(err instanceof ActivityFailure)) throw err;
      log.warn('webhook dispatch failed', { error: err.message });
      await sleep('5 seconds');
    }
    looks++;
    if (input.maxLooks !== undefined && looks >= input.maxLooks) return looks;
  }
  return continueAsNew<typeof webhookDispatchWorkflow>({ ...input, looks });
}

/** Starts a queue's workflow unless it runs already (it will find the new delivery itself). */
async function startQueue(q: WebhookQueue): Promise<void> {
  await startDetached(webhookQueueWorkflow, {
    workflowId: workflowIds.webhookQueue(q.endpointId, q.queueKey),
    args: [q],
    // A queue that ended may start again; a running one refuses the second start.
    workflowIdReusePolicy: 'ALLOW_DUPLICATE',
  });
}

export interface WebhookQueueInput extends WebhookQueue {
  /** Deliveries handled before continue-as-new (tests lower it). */
  perRun?: number;
  /** Carried across continue-as-new. */
  handled?: number;
}

/**
 * Delivers one endpoint's events about one customer, oldest first: the next waits until the one before is
 * delivered or given up, so a receiver never sees `subscription.canceled` before `subscription.created`.
 * A failure waits out the backoff the attempt chose, then tries the same delivery again. Ends when the
 * queue is empty or the endpoint is off.
 */
export async function webhookQueueWorkflow(input: WebhookQueueInput): Promise<number> {
  let handled = input.handled ?? 0;
  for (let i = 0; i < (input.perRun ?? 100); i++) {
    const head = await db.nextWebhookDelivery({ endpointId: input.endpointId, queueKey: input.queueKey });
    if (!head) return handled;
    if (head.waitMs > 0) await sleep(head.waitMs);
    const result: AttemptOutcome = await attemptWebhookDelivery({ deliveryId: head.deliveryId });
    if (result.outcome === 'endpoint_off') return handled;
    if (result.outcome === 'retry' && result.retryInMs !== null) await sleep(result.retryInMs);
    else handled++;
  }
  return continueAsNew<typeof webhookQueueWorkflow>({ ...input, handled });
}

/** An admin's redelivery: one attempt now, outside the queue's order and retries, logged as manual. */
export async function webhookRedeliveryWorkflow(input: { deliveryId: string }): Promise<AttemptOutcome> {
  return attemptWebhookDelivery({ deliveryId: input.deliveryId, manual: true });
}
