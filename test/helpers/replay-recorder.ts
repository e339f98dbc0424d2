import { mkdirSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { Client } from '@temporalio/client';
import { historyToJson } from './history-json';

/**
 * Records the histories of every workflow a test environment ran, for the replay corpus
 * (test/replay/histories, re-recorded by `npm run replay:record`). Off unless REPLAY_RECORD_DIR is set.
 * It watches the client's start calls (update-with-start too); runs continued as new and child workflows
 * are followed from the histories themselves.
 */
export function watchForReplayCorpus(client: Client): { record(): Promise<void> } {
  const dir = process.env.REPLAY_RECORD_DIR;
  const started = new Set<string>();
  if (!dir) return { record: async () => {} };
  const wf = client.workflow as unknown as Record<string, (...args: unknown[]) => Promise<unknown>>;
  for (const method of ['start', 'execute', 'signalWithStart']) {
    const original = wf[method]!.bind(client.workflow);
    wf[method] = (type: unknown, options: unknown, ...rest: unknown[]) => {
      const id = (options as { workflowId?: string } | undefined)?.workflowId;
      if (id) started.add(id);
      return original(type, options, ...rest);
    };
  }
  // Checkout starts the subscription workflow with its first Update: the id is in the start operation.
  for (const method of ['executeUpdateWithStart', 'startUpdateWithStart']) {
    const original = wf[method]!.bind(client.workflow);
    wf[method] = (update: unknown, options: unknown, ...rest: unknown[]) => {
      const op = (options as { startWorkflowOperation?: { options?: { workflowId?: string } } } | undefined)
        ?.startWorkflowOperation;
      if (op?.options?.workflowId) started.add(op.options.workflowId);
      return original(update, options, ...rest);
    };
  }
  return {
    async record() {
      mkdirSync(dir, { recursive: true });
      const file = basename(expect.getState().testPath ?? 'unknown', '.test.ts');
      const seen = new Set<string>();
      const queue = [...started].map((workflowId) => ({
        workflowId,
        runId: undefined as string | undefined,
      }));
      while (queue.length > 0) {
        const next = queue.shift()!;
        const runs = await runsOf(client, next.workflowId, next.runId);
        for (const [n, history] of runs.entries()) {
          const key = `${next.workflowId}#${n}`;
          if (seen.has(key)) continue;
          seen.add(key);
          const name = `${file}--${next.workflowId}${runs.length > 1 ? `--run${n + 1}` : ''}`.replace(
            /[^A-Za-z0-9_.-]+/g,
            '_',
          );
          writeFileSync(join(dir, `${name}.json`), historyToJson(history));
          for (const e of history.events ?? []) {
            const child = e.childWorkflowExecutionStartedEventAttributes?.workflowExecution;
            if (child?.workflowId)
              queue.push({ workflowId: child.workflowId, runId: child.runId ?? undefined });
          }
        }
      }
      started.clear();
    },
  };
}

type History = Awaited<ReturnType<ReturnType<Client['workflow']['getHandle']>['fetchHistory']>>;

/** Every run of a workflow from its first, following continue-as-new. */
export async function runsOf(client: Client, workflowId: string, runId?: string): Promise<History[]> {
  const described = await client.workflow
    .getHandle(workflowId, runId)
    .describe()
    .catch(() => null);
  if (!described) return [];
  let current: string | undefined = described.raw.workflowExecutionInfo?.firstRunId ?? described.runId;
  const runs: History[] = [];
  while (current && runs.length < 50) {
    const history: History = await client.workflow.getHandle(workflowId, current).fetchHistory();
    runs.push(history);
    const last: NonNullable<History['events']>[number] | undefined =
      history.events?.[history.events.length - 1];
    current = last?.workflowExecutionContinuedAsNewEventAttributes?.newExecutionRunId ?? undefined;
  }
  return runs;
}
