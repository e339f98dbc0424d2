import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { bundleWorkflowCode, Worker } from '@temporalio/worker';
import { temporal } from '@temporalio/proto';
import { historyFromJson } from '../helpers/history-json';
import { workflowBundle } from '../helpers/temporal';

const CORPUS = join(__dirname, 'histories');

/** Every recorded history, with the workflow id it ran under (the file names it). */
function corpus(filter: (file: string) => boolean = () => true) {
  return readdirSync(CORPUS)
    .filter((f) => f.endsWith('.json') && filter(f))
    .sort()
    .map((file) => ({
      file,
      workflowId: file.replace(/\.json$/, ''),
      history: withoutPendingTask(historyFromJson(JSON.parse(readFileSync(join(CORPUS, file), 'utf8')))),
    }));
}

/**
 * A history recorded while the workflow was waiting may end with events no completed workflow task has
 * answered yet (an activity's result, a signal, a task scheduled or started). The replayer runs the task
 * that answers them as new work, not as replay: nothing recorded checks its commands, and it may schedule
 * local activities, which a replay worker, having no activities, refuses. Those events are left out, so the
 * replay checks what the history holds and no more: up to the last completed task and the commands it made.
 */
function withoutPendingTask(history: temporal.api.history.v1.IHistory): temporal.api.history.v1.IHistory {
  const E = temporal.api.enums.v1.EventType;
  const events = history.events ?? [];
  let lastCompleted = events.length - 1;
  while (lastCompleted >= 0 && events[lastCompleted]?.eventType !== E.EVENT_TYPE_WORKFLOW_TASK_COMPLETED)
    lastCompleted--;
  if (lastCompleted < 0) return history;
  const commands = new Set<number>([
    E.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED,
    E.EVENT_TYPE_ACTIVITY_TASK_CANCEL_REQUESTED,
    E.EVENT_TYPE_TIMER_STARTED,
    E.EVENT_TYPE_TIMER_CANCELED,
    E.EVENT_TYPE_MARKER_RECORDED,
    E.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES,
    E.EVENT_TYPE_WORKFLOW_PROPERTIES_MODIFIED,
    E.EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_INITIATED,
    E.EVENT_TYPE_SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_INITIATED,
    E.EVENT_TYPE_REQUEST_CANCEL_EXTERNAL_WORKFLOW_EXECUTION_INITIATED,
    E.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED,
    E.EVENT_TYPE_WORKFLOW_EXECUTION_FAILED,
    E.EVENT_TYPE_WORKFLOW_EXECUTION_CANCELED,
    E.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW,
    // Ended by the server: no task answers these.
    E.EVENT_TYPE_WORKFLOW_EXECUTION_TERMINATED,
    E.EVENT_TYPE_WORKFLOW_EXECUTION_TIMED_OUT,
  ]);
  let end = lastCompleted + 1;
  while (end < events.length && commands.has(Number(events[end]?.eventType))) end++;
  return end === events.length ? history : { ...history, events: events.slice(0, end) };
}

async function replay(bundle: { codePath: string } | { code: string }, histories: ReturnType<typeof corpus>) {
  const failures: { file: string; error: string }[] = [];
  let replayed = 0;
  for await (const result of Worker.runReplayHistories({ workflowBundle: bundle }, histories)) {
    replayed++;
    if (result.error)
      failures.push({ file: result.workflowId, error: String(result.error).split('\n')[0] ?? '' });
  }
  return { replayed, failures };
}

describe('replay of recorded workflow histories', () => {
  it('replays every history of the corpus against the current workflow code without non-determinism', async () => {
    const histories = corpus();
    // The corpus covers every workflow type the engine runs.
    const types = new Set(
      histories.map(
        (h) => h.history.events?.[0]?.workflowExecutionStartedEventAttributes?.workflowType?.name,
      ),
    );
    expect([...types].sort()).toEqual(
      expect.arrayContaining([
        'attachPaymentMethodWorkflow',
        'catalogSyncWorkflow',
        'commitmentTrueUpWorkflow',
        'commitmentsWorkflow',
        'creditCheckoutWorkflow',
        'creditHousekeepingWorkflow',
        'creditPurchaseWorkflow',
        'creditTopUpWorkflow',
        'customerOnboarding',
        'dunningWorkflow',
        'prepaidCommitFundingWorkflow',
        'prepaidCommitSettlementWorkflow',
        'subscriptionWorkflow',
        'usageRollupWorkflow',
      ]),
    );
    const { replayed, failures } = await replay(workflowBundle(), histories);
    expect(failures).toEqual([]);
    expect(replayed).toBe(histories.length);
    // A guard, not a target: the corpus grows with every workflow change, and on a loaded two-core machine
    // replaying it took 97 s where it takes 40 alone.
  }, 300_000);

  it('fails when a workflow changes in a way running subscriptions could not follow', async () => {
    const { code } = await bundleWorkflowCode({
      workflowsPath: require.resolve('./changed-workflows'),
      logger: { log() {}, info() {}, warn() {}, error: console.error, debug() {}, trace() {} },
    });
    const subscriptions = corpus((f) => f.includes('--subscription-'));
    expect(subscriptions.length).toBeGreaterThan(0);
    const { failures } = await replay({ code }, subscriptions);
    // Every subscription history in which the workflow issued a command now disagrees with the code, and
    // the error says why. (A run that only waited recorded nothing for the change to disagree with.)
    const E = temporal.api.enums.v1.EventType;
    const commands = new Set<number>([
      E.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED,
      E.EVENT_TYPE_TIMER_STARTED,
      E.EVENT_TYPE_MARKER_RECORDED,
      E.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES,
      E.EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_INITIATED,
      E.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED,
      E.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW,
    ]);
    const acted = subscriptions.filter((h) =>
      (h.history.events ?? []).some((e) => commands.has(Number(e.eventType))),
    );
    expect(acted.length).toBeGreaterThan(10);
    expect(failures.map((f) => f.file).sort()).toEqual(acted.map((h) => h.workflowId).sort());
    for (const f of failures) expect(f.error).toMatch(/[Nn]ondeterminism|DeterminismViolation/);
  }, 120_000);
});
