/**
 * Run as a process of its own (the limit is process-wide for contexts made after it): limits the workflow
 * stack frames as worker/main.ts does, runs waitingWorkflow on a real dev server, and prints the answer of
 * Temporal's stack-trace query as JSON.
 */
import { Worker } from '@temporalio/worker';
import { startDevServer } from '../../helpers/temporal';
import { limitWorkflowStackFrames } from '../../../worker/stack-frames';

async function main(frames: number): Promise<void> {
  limitWorkflowStackFrames(frames);
  const env = await startDevServer();
  try {
    const worker = await Worker.create({
      connection: env.nativeConnection,
      namespace: env.namespace,
      taskQueue: 'stack-frames',
      workflowsPath: require.resolve('./waiting-workflow'),
    });
    const trace = await worker.runUntil(async () => {
      const handle = await env.client.workflow.start('waitingWorkflow', {
        taskQueue: 'stack-frames',
        workflowId: `stack-frames-${frames}`,
      });
      // The first workflow task has run once the run waits on its condition's timer.
      for (;;) {
        const { raw } = await handle.describe();
        if (
          (raw.pendingWorkflowTask ?? null) === null &&
          Number(raw.workflowExecutionInfo?.historyLength) > 3
        )
          break;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      return handle.query<string>('__stack_trace');
    });
    process.stdout.write(`${JSON.stringify({ ownLimit: Error.stackTraceLimit, trace })}\n`);
  } finally {
    await env.teardown();
  }
}

main(Number(process.argv[2])).then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
