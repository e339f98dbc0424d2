/**
 * `npm run bench:workflow-tasks -- [--rounds 3] [--frames 8,2,0]`: what a workflow task costs the worker's
 * workflow code, by the frames each recorded stack trace shows (WORKER_WORKFLOW_STACK_FRAMES,
 * worker/stack-frames.ts; 8 is Node's default depth). Each round replays the whole replay corpus
 * (test/replay/histories) for each setting in a process of its own, the limit set as the worker sets it,
 * the settings in turn: a first pass warms the code, the second is measured. It prints the process's CPU
 * per workflow task replayed, min / median / max over the rounds.
 */
import { spawnSync } from 'node:child_process';
import { parseArgs } from 'node:util';
import { bundleWorkflowCode, Worker } from '@temporalio/worker';
import { temporal } from '@temporalio/proto';
import { corpus } from '../test/replay/corpus';
import { limitWorkflowStackFrames } from '../worker/stack-frames';

const QUIET = { trace() {}, debug() {}, info() {}, warn() {}, error() {}, log() {} };

const completedTasks = (h: temporal.api.history.v1.IHistory) =>
  (h.events ?? []).filter(
    (e) => e.eventType === temporal.api.enums.v1.EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED,
  ).length;

/** One replay of the corpus in this process, with `frames` set first: CPU µs per workflow task. */
async function replayOnce(frames: number): Promise<void> {
  limitWorkflowStackFrames(frames);
  const histories = corpus();
  const tasks = histories.reduce((n, h) => n + completedTasks(h.history), 0);
  const { code } = await bundleWorkflowCode({
    workflowsPath: require.resolve('../workflows'),
    logger: QUIET as never,
  });
  let failed = 0;
  const replayAll = async () => {
    for await (const r of Worker.runReplayHistories({ workflowBundle: { code } }, histories))
      if (r.error) failed++;
  };
  // A first pass warms the code up; the second is measured.
  await replayAll();
  const start = process.cpuUsage();
  await replayAll();
  const used = process.cpuUsage(start);
  console.log(JSON.stringify({ tasks, failed, cpuUs: used.user + used.system }));
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] as number;
}

function main(): void {
  const { values } = parseArgs({
    options: { rounds: { type: 'string', default: '3' }, frames: { type: 'string', default: '8,2,0' } },
  });
  const settings = String(values.frames).split(',').map(Number);
  const perTask = new Map<number, number[]>(settings.map((f) => [f, []]));
  let tasks = 0;
  for (let round = 0; round < Number(values.rounds); round++) {
    for (const frames of settings) {
      const child = spawnSync(process.execPath, [...process.execArgv, __filename], {
        env: { ...process.env, ACTIVATION_BENCH_FRAMES: String(frames) },
        encoding: 'utf8',
      });
      const line = child.stdout.split('\n').find((l) => l.startsWith('{"tasks"'));
      if (!line) throw new Error(`replay with ${frames} frames failed:\n${child.stderr.slice(-2000)}`);
      const r = JSON.parse(line) as { tasks: number; failed: number; cpuUs: number };
      if (r.failed > 0) throw new Error(`${r.failed} histories did not replay with ${frames} frames`);
      tasks = r.tasks;
      (perTask.get(frames) as number[]).push(r.cpuUs / r.tasks);
      console.error(`round ${round + 1}, ${frames} frames: ${(r.cpuUs / r.tasks).toFixed(0)} µs a task`);
    }
  }
  console.log(`\nreplay of the corpus (${tasks} workflow tasks), CPU per task, min / median / max:`);
  const base = median(perTask.get(settings[0] as number) as number[]);
  for (const [frames, xs] of perTask) {
    const [min, max] = [Math.min(...xs), Math.max(...xs)];
    console.log(
      `  ${String(frames).padStart(3)} frames  ${min.toFixed(0)} / ${median(xs).toFixed(0)} / ${max.toFixed(0)} µs` +
        `  (${(median(xs) / base).toFixed(2)} of ${settings[0]} frames)`,
    );
  }
}

if (process.env.ACTIVATION_BENCH_FRAMES !== undefined)
  replayOnce(Number(process.env.ACTIVATION_BENCH_FRAMES)).then(
    () => process.exit(0),
    (err: unknown) => {
      console.error(err);
      process.exit(1);
    },
  );
else main();
