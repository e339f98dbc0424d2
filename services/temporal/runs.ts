import type { Client } from '@temporalio/client';
import type { CoreDeps } from '../deps';
import { callWorkflow } from './gateway';

/**
 * The run of `workflowId` that was open at `at`: the one started at or before it and not closed before it
 * (a workflow that continues as new has one run after another). Null when Temporal's visibility has none,
 * e.g. once the runs have passed the namespace's retention.
 */
export async function runAt(client: Client, workflowId: string, at: Date): Promise<string | null> {
  let best: { runId: string; started: number } | null = null;
  const query = `WorkflowId = '${workflowId.replace(/'/g, "''")}'`;
  for await (const run of client.workflow.list({ query })) {
    const started = run.startTime.getTime();
    const closed = run.closeTime?.getTime() ?? Infinity;
    if (started > at.getTime() || closed < at.getTime()) continue;
    if (!best || started > best.started) best = { runId: run.runId, started };
  }
  return best?.runId ?? null;
}

/** Each workflow's run open at its time, looked up together, within the API's deadline for Temporal. */
export function runsAt(
  deps: Pick<CoreDeps, 'temporal' | 'config'>,
  wanted: { workflowId: string; at: Date }[],
): Promise<Map<string, string | null>> {
  return callWorkflow(
    deps,
    async () =>
      new Map(
        await Promise.all(
          wanted.map(async (w) => [w.workflowId, await runAt(deps.temporal, w.workflowId, w.at)] as const),
        ),
      ),
    { needsWorker: false },
  );
}
