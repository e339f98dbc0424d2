import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { RETAINED_KINDS, type RetainedKind } from '../../domain/retention';
import { retentionWorkflow } from '../../workflows';
import { startTimeSkipping, workflowBundle } from '../helpers/temporal';

const DAY = 86_400_000;

describe('the retention loop', () => {
  let env: TestWorkflowEnvironment;
  beforeAll(async () => {
    env = await startTimeSkipping();
  });
  afterAll(() => env?.teardown());

  it('prunes every kind a batch at a time, once a day, with the cutoff the window names', async () => {
    const calls: { kind: RetainedKind; cutoffAgeDays: number; at: number }[] = [];
    // Notifications have three batches waiting on the first day; everything else one short batch.
    let mailBatches = 3;
    const worker = await Worker.create({
      connection: env.nativeConnection,
      taskQueue: 'retention',
      workflowBundle: workflowBundle(),
      activities: {
        async pruneRetained(req: { kind: RetainedKind; cutoff: string; limit: number }) {
          const at = (await env.currentTimeMs()) as number;
          calls.push({ kind: req.kind, cutoffAgeDays: Math.round((at - Date.parse(req.cutoff)) / DAY), at });
          if (req.kind === 'notifications' && mailBatches > 0) {
            mailBatches--;
            return { pruned: req.limit, more: true };
          }
          return { pruned: 1, more: false };
        },
      },
    });
    const pruned = await worker.runUntil(
      env.client.workflow.execute(retentionWorkflow, {
        workflowId: 'retention',
        taskQueue: 'retention',
        args: [{ retentionDays: 90, batch: 10, maxCycles: 2 }],
      }),
    );
    const kinds = calls.map((c) => c.kind);
    const firstDay = [...RETAINED_KINDS.slice(0, 3), 'notifications', 'notifications', 'notifications'];
    expect(kinds).toEqual([
      ...firstDay,
      ...RETAINED_KINDS.slice(3),
      ...RETAINED_KINDS, // the next day
    ]);
    expect(new Set(calls.map((c) => c.cutoffAgeDays))).toEqual(new Set([90]));
    const secondDay = calls.at(-1)!.at - calls[0]!.at;
    expect(secondDay).toBeGreaterThanOrEqual(DAY);
    // 3 full batches of mails, then one row of each kind on each of the two days.
    expect(pruned).toBe(3 * 10 + 2 * RETAINED_KINDS.length);
  });
});
