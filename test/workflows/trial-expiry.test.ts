import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import type { NotificationInput } from '../../activities';
import { trialExpiry } from '../../workflows';
import { startTimeSkipping, workflowBundle } from '../helpers/temporal';

const DAY = 24 * 60 * 60 * 1000;

describe('trial expiry workflow', () => {
  let env: TestWorkflowEnvironment;
  beforeAll(async () => {
    env = await startTimeSkipping();
  });
  afterAll(() => env?.teardown());

  it('waits out a 7-day trial on a durable timer, reminds 3 days before, then converts it', async () => {
    const start = await env.currentTimeMs();
    const notifications: { input: NotificationInput; at: number }[] = [];
    let endedAt = 0;
    const activities = {
      queueNotification: jest.fn(async (input: NotificationInput) => {
        notifications.push({ input, at: await env.currentTimeMs() });
        return { queued: true, sent: false };
      }),
      endTrial: jest.fn(async () => {
        endedAt = await env.currentTimeMs();
        return 'converted' as const;
      }),
    };
    const worker = await Worker.create({
      connection: env.nativeConnection,
      taskQueue: 'trial-test',
      workflowBundle: workflowBundle(),
      activities,
    });
    const trialEnd = new Date(start + 7 * DAY).toISOString();
    const outcome = await worker.runUntil(
      env.client.workflow.execute(trialExpiry, {
        workflowId: 'trial-subs_test1',
        taskQueue: 'trial-test',
        args: [{ subscriptionId: 'subs_test1', customerId: 'cust_1', email: 'a@example.com', trialEnd }],
      }),
    );

    expect(outcome).toBe('converted');
    expect(activities.endTrial).toHaveBeenCalledWith('subs_test1');
    expect(endedAt - start).toBeGreaterThanOrEqual(7 * DAY);
    expect(notifications).toHaveLength(1);
    expect(notifications[0]?.input).toMatchObject({ kind: 'trial_will_end', customerId: 'cust_1' });
    const reminderOffset = (notifications[0]?.at ?? 0) - start;
    expect(reminderOffset).toBeGreaterThanOrEqual(4 * DAY);
    expect(reminderOffset).toBeLessThan(5 * DAY);
  });

  it('skips the reminder when the trial ends in less than three days', async () => {
    const start = await env.currentTimeMs();
    const activities = {
      queueNotification: jest.fn(async () => ({ queued: true, sent: false })),
      endTrial: jest.fn(async () => 'expired' as const),
    };
    const worker = await Worker.create({
      connection: env.nativeConnection,
      taskQueue: 'trial-test-short',
      workflowBundle: workflowBundle(),
      activities,
    });
    const outcome = await worker.runUntil(
      env.client.workflow.execute(trialExpiry, {
        workflowId: 'trial-subs_test2',
        taskQueue: 'trial-test-short',
        args: [
          {
            subscriptionId: 'subs_test2',
            customerId: 'cust_2',
            email: 'b@example.com',
            trialEnd: new Date(start + DAY).toISOString(),
          },
        ],
      }),
    );
    expect(outcome).toBe('expired');
    expect(activities.queueNotification).not.toHaveBeenCalled();
  });
});
