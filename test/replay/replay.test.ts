import { bundleWorkflowCode, Worker } from '@temporalio/worker';
import { temporal } from '@temporalio/proto';
import { corpus } from './corpus';
import { workflowBundle } from '../helpers/temporal';

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
