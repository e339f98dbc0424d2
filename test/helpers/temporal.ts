import { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { ALL_SEARCH_ATTRIBUTES } from '../../workflows/search-attributes';
import { watchForReplayCorpus } from './replay-recorder';

function required(name: string): string {
  const value = process.env[name];
  if (!value)
    throw new Error(`${name} is not set: run the suite through \`npm test\` or jest's global setup`);
  return value;
}

export const TEST_NAMESPACE = 'billing';

/** With REPLAY_RECORD_DIR set, an environment's histories go to the replay corpus before it stops. */
function withReplayRecording(env: TestWorkflowEnvironment): TestWorkflowEnvironment {
  const recorder = watchForReplayCorpus(env.client);
  const teardown = env.teardown.bind(env);
  env.teardown = async () => {
    try {
      await recorder.record();
    } finally {
      await teardown();
    }
  };
  return env;
}

/**
 * `createLocal` without its 10 s limit on the client's first connection: on a loaded two-core machine the
 * server can be up (the worker's connection made) and the client's connection still miss those 10 s.
 * The SDK keeps that option off `createLocal`, so this calls the `create` it wraps.
 */
type CreateEnvironment = (opts: {
  server: NonNullable<Parameters<typeof TestWorkflowEnvironment.createLocal>[0]>['server'] & {
    type: 'dev-server';
  };
  namespace: string;
  supportsTimeSkipping: false;
  connectionOptions: { connectTimeout: number };
}) => Promise<TestWorkflowEnvironment>;

/**
 * A real Temporal dev server (the CLI built from the Go module proxy) on free loopback ports. The SDK's
 * core gives the server a fixed 5 s to open its port; on a loaded two-core machine (a cluster's test
 * starting beside this one) the CLI can take longer, so a server that missed it is started once more.
 */
export async function startDevServer(): Promise<TestWorkflowEnvironment> {
  try {
    return await startDevServerOnce();
  } catch (err) {
    if (!/did not start within/.test(String((err as Error)?.message))) throw err;
    return startDevServerOnce();
  }
}

async function startDevServerOnce(): Promise<TestWorkflowEnvironment> {
  const create = (TestWorkflowEnvironment as unknown as { create: CreateEnvironment }).create.bind(
    TestWorkflowEnvironment,
  );
  const env = await create({
    server: {
      type: 'dev-server',
      executable: { type: 'existing-path', path: required('TEMPORAL_CLI_PATH') },
      ip: '127.0.0.1',
      namespace: TEST_NAMESPACE,
      searchAttributes: ALL_SEARCH_ATTRIBUTES,
      ui: false,
      log: { format: 'pretty', level: 'error' },
    },
    namespace: TEST_NAMESPACE,
    supportsTimeSkipping: false,
    connectionOptions: { connectTimeout: 60_000 },
  });
  return withReplayRecording(env);
}

/** Temporal's Java time-skipping test server: days-long timers pass in milliseconds. */
export async function startTimeSkipping(): Promise<TestWorkflowEnvironment> {
  const env = await TestWorkflowEnvironment.createTimeSkipping({
    server: { executable: { type: 'existing-path', path: required('TEMPORAL_TEST_SERVER_PATH') } },
  });
  return withReplayRecording(env);
}

/** The workflow bundle global setup built once for the whole run. */
export function workflowBundle(): { codePath: string } {
  return { codePath: required('TEST_WORKFLOW_BUNDLE') };
}

/**
 * Runs `fn` with a worker on `taskQueue` whose activities are the test's own (recording what they are
 * asked), and stops the worker when `fn` is done.
 */
export async function withActivities<T>(
  env: TestWorkflowEnvironment,
  taskQueue: string,
  activities: Record<string, (...args: never[]) => Promise<unknown>>,
  fn: () => Promise<T>,
): Promise<T> {
  const worker = await Worker.create({
    connection: env.nativeConnection,
    taskQueue,
    workflowBundle: workflowBundle(),
    activities,
  });
  return worker.runUntil(fn);
}
