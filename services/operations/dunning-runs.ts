import type { CoreDeps } from '../deps';
import { AppError } from '../../domain/errors';
import { dunningStatus, type DunningStatus } from '../../workflows/messages';
import { callWorkflow, PROBE_DEADLINE_MS } from '../temporal/gateway';

/** Runs listed at most: an operator reads the newest; a backlog this long is an incident of its own. */
const MAX_RUNS = 50;

/**
 * The dunning runs in flight, from Temporal's visibility (running `dunningWorkflow` executions, newest
 * first), each with where it stands by its `dunningStatus` query: the retry it waits for and when, and
 * whether access is suspended. When Temporal does not answer within the deadline, says why instead.
 */
export async function dunningRunsInFlight(deps: Pick<CoreDeps, 'temporal' | 'config'>) {
  try {
    const runs = await callWorkflow(
      deps,
      async () => {
        const found: { workflowId: string; startTime: Date }[] = [];
        for await (const w of deps.temporal.workflow.list({
          query: "WorkflowType = 'dunningWorkflow' AND ExecutionStatus = 'Running'",
          pageSize: MAX_RUNS,
        })) {
          found.push({ workflowId: w.workflowId, startTime: w.startTime });
          if (found.length >= MAX_RUNS) break;
        }
        return Promise.all(
          found.map(async (w) => {
            const status = await deps.temporal.workflow
              .getHandle(w.workflowId)
              .query<DunningStatus>(dunningStatus)
              .catch(() => null);
            return { ...w, status };
          }),
        );
      },
      { deadlineMs: PROBE_DEADLINE_MS * 2 },
    );
    return {
      reachable: true,
      error: null,
      runs: runs.map(({ workflowId, startTime, status: s }) => ({
        workflowId,
        startedAt: startTime,
        invoiceId: s?.stripeInvoiceId ?? workflowId.replace(/^dunning-/, ''),
        email: s?.email ?? null,
        attempt: s?.attempt ?? null,
        attempts: s?.attempts ?? null,
        retriesMade: s?.retriesMade ?? null,
        nextAttemptAt: s?.nextAttemptAt ?? null,
        suspendAt: s?.suspendAt ?? null,
        suspended: s?.suspended ?? null,
      })),
    };
  } catch (err) {
    return {
      reachable: false,
      error: `Temporal could not be asked for the dunning runs: ${err instanceof AppError || err instanceof Error ? err.message : String(err)}`,
      runs: [],
    };
  }
}
