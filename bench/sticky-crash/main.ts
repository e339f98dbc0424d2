/**
 * What a worker's crash costs the runs it held: `npx tsx bench/sticky-crash/main.ts [sticky timeout s]`.
 * Two runs are cached on worker A, which is SIGKILLed while worker B starts; one run is signalled 1 s after
 * the kill, the other 20 s after. It prints how long each signal waited for its workflow task. The server
 * goes on sending a run's tasks to its worker's sticky queue until no poll has come from it for 10 s, and
 * a task put there waits the whole sticky timeout (WORKER_STICKY_QUEUE_TIMEOUT_SECONDS) before another
 * worker may take it. On a Temporal dev server, as the tests start it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import type { WorkflowHandle } from '@temporalio/client';
import { startDevServer } from '../../test/helpers/temporal';

// eslint-disable-next-line @typescript-eslint/no-require-imports -- a CommonJS tool of the repo's own
const { ensureTemporalCli } = require('../../tools/temporal-cli') as {
  ensureTemporalCli(opts: { log(line: string): void }): string;
};

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function startWorker(address: string, namespace: string, stickySeconds: number): Promise<ChildProcess> {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', require.resolve('./worker.ts'), address, namespace, String(stickySeconds)],
    { stdio: ['ignore', 'pipe', 'ignore'] },
  );
  return new Promise((resolve, reject) => {
    child.stdout!.on('data', (chunk: Buffer) => {
      if (chunk.toString().includes('ready')) resolve(child);
    });
    child.once('exit', (code) =>
      reject(new Error(`the worker exited (${String(code)}) before it was ready`)),
    );
  });
}

/** Whether a workflow task completed after the run's n-th signal. */
async function answered(handle: WorkflowHandle, signals: number): Promise<boolean> {
  const events = (await handle.fetchHistory()).events ?? [];
  let seen = 0;
  for (const e of events) {
    if (e.workflowExecutionSignaledEventAttributes) seen++;
    else if (seen >= signals && e.workflowTaskCompletedEventAttributes) return true;
  }
  return false;
}

async function main(): Promise<void> {
  const stickySeconds = Number(process.argv[2] ?? 60);
  process.env.TEMPORAL_CLI_PATH ??= ensureTemporalCli({ log() {} });
  const env = await startDevServer();
  const namespace = env.client.options.namespace;
  const workers: ChildProcess[] = [];
  try {
    workers.push(await startWorker(env.address, namespace, stickySeconds));
    const start = (name: string) =>
      env.client.workflow.start('waiter', { taskQueue: 'sticky-crash', workflowId: `${name}-${Date.now()}` });
    const early = await start('early');
    const late = await start('late');
    for (const h of [early, late]) await h.signal('poke');
    while (!(await answered(early, 1)) || !(await answered(late, 1))) await sleep(100);
    workers[0]!.kill('SIGKILL');
    const killedAt = Date.now();
    workers.push(await startWorker(env.address, namespace, stickySeconds));
    const waits = [
      { handle: early, after: 1_000 },
      { handle: late, after: 20_000 },
    ].map(async ({ handle, after }) => {
      await sleep(killedAt + after - Date.now());
      await handle.signal('poke');
      const signalled = Date.now();
      while (!(await answered(handle, 2))) await sleep(100);
      return `signalled ${after / 1000} s after the kill: its task waited ${((Date.now() - signalled) / 1000).toFixed(1)} s`;
    });
    console.log(`sticky timeout ${stickySeconds} s; worker A SIGKILLed, worker B started`);
    for (const line of await Promise.all(waits)) console.log(`  ${line}`);
  } finally {
    for (const w of workers) w.kill('SIGKILL');
    await env.teardown();
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
