import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { AttemptOutcome, WebhookQueue } from '../../activities';
import { webhookDispatchWorkflow, webhookQueueWorkflow, webhookRedeliveryWorkflow } from '../../workflows';
import { workflowIds } from '../../workflows/ids';
import { startTimeSkipping, withActivities } from '../helpers/temporal';

const outcome = (o: AttemptOutcome['outcome'], retryInMs: number | null = null): AttemptOutcome => ({
  outcome: o,
  retryInMs,
  attemptId: 'wha_1',
  statusCode: o === 'delivered' ? 200 : 500,
  error: null,
});

/**
 * The outgoing webhook workflows on Temporal's time-skipping server, with activities that record what
 * they were asked: the order deliveries go out in, the backoff a failure waits, and what ends a queue.
 */
describe('outgoing webhook workflows', () => {
  let env: TestWorkflowEnvironment;
  beforeAll(async () => {
    env = await startTimeSkipping();
  });
  afterAll(() => env?.teardown());

  const run = <T>(
    taskQueue: string,
    activities: Record<string, (...args: never[]) => Promise<unknown>>,
    fn: () => Promise<T>,
  ) => withActivities(env, taskQueue, activities, fn);

  /** A queue of deliveries whose attempts answer as scripted, in order. */
  function scriptedQueue(script: Record<string, AttemptOutcome[]>) {
    const pending = Object.keys(script);
    const steps: string[] = [];
    return {
      steps,
      activities: {
        async nextWebhookDelivery() {
          return pending.length > 0 ? { deliveryId: pending[0]!, waitMs: 0 } : null;
        },
        async attemptWebhookDelivery(req: { deliveryId: string }) {
          const next = script[req.deliveryId]!.shift()!;
          steps.push(`${req.deliveryId} ${next.outcome}`);
          if (next.outcome !== 'retry') pending.shift();
          return next;
        },
      },
    };
  }

  it('delivers a queue in order, waiting out the backoff a failure chose before trying the same one again', async () => {
    const q = scriptedQueue({
      whd_1: [outcome('retry', 60_000), outcome('retry', 120_000), outcome('delivered')],
      whd_2: [outcome('delivered')],
      whd_3: [outcome('given_up')],
      whd_4: [outcome('delivered')],
    });
    const started = Date.now();
    const handled = await run('webhook-queue', q.activities, async () => {
      const before = await env.currentTimeMs();
      const n = await env.client.workflow.execute(webhookQueueWorkflow, {
        workflowId: workflowIds.webhookQueue('whe_1', 'cust_1'),
        taskQueue: 'webhook-queue',
        args: [{ endpointId: 'whe_1', queueKey: 'cust_1' }],
      });
      // Three minutes of backoff passed on the server's clock, not the test's.
      expect((await env.currentTimeMs()) - before).toBeGreaterThanOrEqual(180_000);
      return n;
    });
    expect(Date.now() - started).toBeLessThan(60_000);
    expect(q.steps).toEqual([
      'whd_1 retry',
      'whd_1 retry',
      'whd_1 delivered',
      'whd_2 delivered',
      'whd_3 given_up',
      'whd_4 delivered',
    ]);
    expect(handled).toBe(4);
  });

  it('stops a queue when its endpoint is turned off, leaving the rest waiting', async () => {
    const q = scriptedQueue({ whd_1: [outcome('endpoint_off')], whd_2: [outcome('delivered')] });
    await run('webhook-queue-off', q.activities, () =>
      env.client.workflow.execute(webhookQueueWorkflow, {
        workflowId: workflowIds.webhookQueue('whe_2', ''),
        taskQueue: 'webhook-queue-off',
        args: [{ endpointId: 'whe_2', queueKey: '' }],
      }),
    );
    expect(q.steps).toEqual(['whd_1 endpoint_off']);
  });

  it('starts the queue of each endpoint and customer with new work, and those nobody works on', async () => {
    const started: string[] = [];
    const looks: WebhookQueue[][] = [
      [{ endpointId: 'whe_a', queueKey: 'cust_1' }],
      [
        { endpointId: 'whe_a', queueKey: 'cust_2' },
        { endpointId: 'whe_b', queueKey: 'cust_1' },
      ],
      [],
    ];
    const queues = await run(
      'webhook-dispatch',
      {
        async fanOutWebhookEvents() {
          return { queues: looks.shift() ?? [], more: false };
        },
        async strandedWebhookQueues() {
          return { queues: [{ endpointId: 'whe_c', queueKey: 'cust_9' }] };
        },
        async nextWebhookDelivery(q: WebhookQueue) {
          started.push(`${q.endpointId} ${q.queueKey}`);
          return null;
        },
      },
      async () => {
        const looked = await env.client.workflow.execute(webhookDispatchWorkflow, {
          workflowId: 'webhook-dispatch',
          taskQueue: 'webhook-dispatch',
          args: [{ maxLooks: 3, sweepEvery: 3 }],
        });
        // The queues ran as children of their own, abandoned by the loop: wait for them to end.
        for (const id of ['whe_a-cust_1', 'whe_a-cust_2', 'whe_b-cust_1', 'whe_c-cust_9'])
          await env.client.workflow.getHandle(`webhook-queue-${id}`).result();
        return looked;
      },
    );
    expect(queues).toBe(3);
    expect(started.sort()).toEqual(['whe_a cust_1', 'whe_a cust_2', 'whe_b cust_1', 'whe_c cust_9']);
  });

  it('redelivers one delivery by hand with one attempt marked manual', async () => {
    const asked: unknown[] = [];
    const result = await run(
      'webhook-redelivery',
      {
        async attemptWebhookDelivery(req: unknown) {
          asked.push(req);
          return outcome('delivered');
        },
      },
      () =>
        env.client.workflow.execute(webhookRedeliveryWorkflow, {
          workflowId: workflowIds.webhookRedelivery('whd_1', 'req_1'),
          taskQueue: 'webhook-redelivery',
          args: [{ deliveryId: 'whd_1' }],
        }),
    );
    expect(asked).toEqual([{ deliveryId: 'whd_1', manual: true }]);
    expect(result.outcome).toBe('delivered');
  });
});
