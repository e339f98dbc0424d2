import type { WorkflowHandle } from '@temporalio/client';
import { WorkflowNotFoundError } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { startTimeSkipping } from './temporal';
import { eventually, registerSearchAttributes } from './workflow-activities';

const { EventType } = temporal.api.enums.v1;
/** What a workflow task may leave behind without anything outstanding: a timer, a marker, a note. */
const SETTLED_AFTER_TASK = new Set([
  EventType.EVENT_TYPE_TIMER_STARTED,
  EventType.EVENT_TYPE_TIMER_CANCELED,
  EventType.EVENT_TYPE_MARKER_RECORDED,
  EventType.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES,
  EventType.EVENT_TYPE_WORKFLOW_PROPERTIES_MODIFIED,
  EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED,
  EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_COMPLETED,
]);

/** The ends a child's parent hears of; the test server holds its clock until it has. */
const TELLS_PARENT = new Set(['COMPLETED', 'FAILED', 'CANCELLED', 'TIMED_OUT']);

const unlessGone = <T>(p: Promise<T>): Promise<T | null> =>
  p.catch((err: unknown) => {
    if (err instanceof WorkflowNotFoundError) return null;
    throw err;
  });

/**
 * One Java time-skipping server for a whole test file, where a server per test cost a start each. Tests
 * share its clock, so they read the time from it rather than assume it starts anew, and each test closes
 * its runs (`closeRuns`) with its worker still polling. The server stops skipping while anything is
 * outstanding (a workflow task, an activity, a signal to another run, a child's end not yet told to its
 * parent), and terminating a run then leaves the clock held for good; a run left open would have its
 * timers fire, unserved, when a later test skips time. After each test the clock must still move: if it
 * does not, that test fails and the next one gets a fresh server instead of a stuck clock.
 */
export function timeSkippingForFile(): {
  readonly env: TestWorkflowEnvironment;
  closeRuns(handles: WorkflowHandle[]): Promise<void>;
} {
  let env: TestWorkflowEnvironment | undefined;
  let spoiled = false;
  const start = async () => {
    env = await startTimeSkipping();
    await registerSearchAttributes(env);
    spoiled = false;
  };
  const current = () => {
    if (!env) throw new Error('the time-skipping server is not started (outside a test?)');
    return env;
  };

  /** Whether a run still has something outstanding; a closed run has nothing. */
  async function busy(handle: WorkflowHandle): Promise<boolean> {
    const d = await unlessGone(handle.describe());
    if (!d || d.status.name !== 'RUNNING') return false;
    if ((d.raw.pendingActivities ?? []).length > 0) return true;
    // A child that has ended but is still pending here: its end is on its way to this run (the test
    // server tells a parent of every end but termination).
    for (const c of d.raw.pendingChildren ?? []) {
      const child = current().client.workflow.getHandle(c.workflowId ?? '', c.runId ?? undefined);
      const status = (await unlessGone(child.describe()))?.status.name;
      if (status && TELLS_PARENT.has(status)) return true;
    }
    // The test server's describe leaves out the pending workflow task, so the history tells.
    const events = (await handle.fetchHistory()).events ?? [];
    const types = events.map((e) => e.eventType);
    const done = types.lastIndexOf(EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED);
    return done < 0 || types.slice(done + 1).some((t) => t == null || !SETTLED_AFTER_TASK.has(t));
  }

  /** Whether skipping time still works: a held clock makes this hour take an hour. */
  async function clockMoves(): Promise<boolean> {
    const skip = current()
      .sleep(60 * 60 * 1000)
      .then(
        () => true,
        () => false,
      );
    // Generous: on a loaded machine an hour's skip can take seconds of real time.
    const held = new Promise<boolean>((resolve) => setTimeout(() => resolve(false), 30_000).unref());
    return Promise.race([skip, held]);
  }

  beforeAll(start);
  beforeEach(async () => {
    if (!spoiled) return;
    await env?.teardown();
    await start();
  });
  // Housekeeping, not an assertion (each test asserts its own behaviour): a server whose clock no longer
  // skips (a run cut off mid-task) is replaced before the next test, which would otherwise wait in real time.
  afterEach(async () => {
    if (spoiled || (await clockMoves())) return;
    spoiled = true;
    console.warn('the time-skipping server no longer skips time: the next test gets a fresh one');
  });
  afterAll(() => env?.teardown());

  return {
    get env() {
      return current();
    },
    async closeRuns(handles) {
      try {
        await eventually(
          async () => (await Promise.all(handles.map(busy))).some(Boolean),
          (anyBusy) => !anyBusy,
        );
        await Promise.all(
          handles.map(async (h) => {
            const d = await unlessGone(h.describe());
            if (d?.status.name === 'RUNNING') await unlessGone(h.terminate('test over'));
          }),
        );
      } catch (err) {
        spoiled = true;
        throw err;
      }
    },
  };
}
