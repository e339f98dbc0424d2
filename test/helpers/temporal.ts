import { spawn } from 'node:child_process';
import { TypedSearchAttributes } from '@temporalio/common';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { ALL_SEARCH_ATTRIBUTES } from '../../workflows/search-attributes';
import { watchForReplayCorpus } from './replay-recorder';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { freePort } = require('../../tools/free-port') as { freePort: () => Promise<number> };
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { tiedToParent } = require('../../tools/tied-child') as {
  tiedToParent: (command: string, args: string[]) => [string, string[]];
};

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
 * A real Temporal dev server (the CLI built from the Go module proxy) on a free loopback port, started
 * here rather than by the SDK: the SDK's core gives the CLI a fixed 5 s to open its port, which a loaded
 * two-core machine missed twice in a row (a cluster's test starting beside this one). Here the CLI has a
 * minute to listen and answer, and one that fails to (its port taken between the pick and the bind) is
 * started again, on another port unless the test asked for one. The arguments are the SDK core's.
 */
export async function startDevServer(opts: { port?: number } = {}): Promise<TestWorkflowEnvironment> {
  for (let attempt = 1; ; attempt++) {
    const server = await spawnDevServer(opts.port ?? (await freePort()));
    let env: TestWorkflowEnvironment;
    try {
      env = await connectWhenServing(server);
    } catch (err) {
      await server.stop();
      if (attempt >= 3) throw err;
      continue;
    }
    const teardown = env.teardown.bind(env);
    env.teardown = async () => {
      try {
        await teardown();
      } finally {
        await server.stop();
      }
    };
    return withReplayRecording(env);
  }
}

const DEV_SERVER_START_MS = 60_000;

/**
 * The environment on a dev server once its namespace answers: a closed port fails a connection at once,
 * and the frontend answers "not healthy yet" for a while after it listens, so this tries again until the
 * namespace answers, the CLI exits or the minute is up.
 */
async function connectWhenServing(server: SpawnedDevServer): Promise<TestWorkflowEnvironment> {
  const deadline = Date.now() + DEV_SERVER_START_MS;
  for (;;) {
    try {
      const env = await TestWorkflowEnvironment.createFromExistingServer({
        address: server.address,
        namespace: TEST_NAMESPACE,
      });
      try {
        await env.connection.workflowService.describeNamespace({ namespace: TEST_NAMESPACE });
        return env;
      } catch (err) {
        await env.teardown();
        throw err;
      }
    } catch (err) {
      const exited = server.exited();
      if (exited !== null)
        throw new Error(`the Temporal dev server at ${server.address} exited before it served: ${exited}`);
      if (Date.now() > deadline)
        throw new Error(`the Temporal dev server at ${server.address} did not serve within a minute`, {
          cause: err,
        });
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}

// As the SDK's core starts the dev server: version checks off, workflow updates on.
const SDK_DYNAMIC_CONFIG = [
  'frontend.enableServerVersionCheck=false',
  'frontend.enableUpdateWorkflowExecution=true',
  'frontend.enableUpdateWorkflowExecutionAsyncAccepted=true',
].flatMap((value) => ['--dynamic-config-value', value]);

interface SpawnedDevServer {
  address: string;
  /** Null while the CLI runs; once it has exited, its exit code and the end of what it wrote. */
  exited(): string | null;
  stop(): Promise<void>;
}

async function spawnDevServer(port: number): Promise<SpawnedDevServer> {
  const args = ['server', 'start-dev', '--port', String(port), '--namespace', TEST_NAMESPACE];
  args.push('--ip', '127.0.0.1', '--headless', '--log-format', 'pretty', '--log-level', 'error');
  args.push(...SDK_DYNAMIC_CONFIG);
  for (const { name, type } of ALL_SEARCH_ATTRIBUTES)
    args.push('--search-attribute', `${name}=${TypedSearchAttributes.toMetadataType(type)}`);
  const child = spawn(...tiedToParent(required('TEMPORAL_CLI_PATH'), args), {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => {
    process.stderr.write(chunk);
    stderr = (stderr + chunk.toString('utf8')).slice(-4000);
  });
  let exitedWith: string | null = null;
  const exited = new Promise<void>((resolve) =>
    child.once('exit', (code, signal) => {
      exitedWith = `${code ?? signal}: ${stderr}`;
      resolve();
    }),
  );
  // A jest worker that ends without the test's teardown takes its server with it (a killed one too: tiedToParent).
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);
  const stop = async () => {
    process.removeListener('exit', killOnExit);
    if (exitedWith !== null) return;
    // Killed, not asked to stop: its state is in memory and goes with it either way, and its graceful
    // shutdown took 1.3 s of every suite's teardown.
    child.kill('SIGKILL');
    await exited;
  };
  return { address: `127.0.0.1:${port}`, exited: () => exitedWith, stop };
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
