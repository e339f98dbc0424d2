import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { loadConfig } from '../../config/env';

/** The stack-trace query's answer from a worker whose workflow stack frames are limited to `frames`. */
function queryStackTrace(frames: number): Promise<{ ownLimit: number; trace: string }> {
  const script = join(__dirname, 'stack-frames', 'query-stack.ts');
  const child = spawn(process.execPath, [require.resolve('tsx/cli'), script, String(frames)], {
    env: process.env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr.on('data', (c: Buffer) => (err += c.toString()));
  return new Promise((resolve, reject) =>
    child.once('exit', (code) => {
      const line = out.split('\n').find((l) => l.startsWith('{"ownLimit"'));
      if (code === 0 && line) resolve(JSON.parse(line));
      else reject(new Error(`query-stack exited ${String(code)}:\n${err.slice(-3000)}`));
    }),
  );
}

/** The stack traces of the answer: one a pending promise, their frames as lines. */
const tracesOf = (answer: string) =>
  answer
    .split(/\n\s*\n/)
    .map((t) => t.split('\n').filter((line) => /^\s+at /.test(line)))
    .filter((t) => t.length > 0);

describe("the worker's limit on the frames a workflow's stack traces record", () => {
  it('keeps each trace to the limit while the query still names every function the workflow waits in', async () => {
    const limited = await queryStackTrace(2);
    const traces = tracesOf(limited.trace);
    expect(traces.length).toBeGreaterThan(0);
    for (const t of traces) expect(t.length).toBeLessThanOrEqual(2);
    // The process's own errors keep Node's default.
    expect(limited.ownLimit).toBe(10);
    for (const fn of ['waitForTheRenewal', 'renewalLoop'])
      expect(limited.trace).toMatch(new RegExp(`at ${fn} \\(.*waiting-workflow\\.ts`));

    const full = await queryStackTrace(8);
    expect(Math.max(...tracesOf(full.trace).map((t) => t.length))).toBe(8);
  }, 120_000);

  it('defaults to 2 frames and refuses a limit outside 0–100 naming the variable', () => {
    const base = { NODE_ENV: 'development' };
    expect(loadConfig(base).WORKER_WORKFLOW_STACK_FRAMES).toBe(2);
    expect(loadConfig({ ...base, WORKER_WORKFLOW_STACK_FRAMES: '0' }).WORKER_WORKFLOW_STACK_FRAMES).toBe(0);
    for (const bad of ['-1', '101', '2.5', 'ten'])
      expect(() => loadConfig({ ...base, WORKER_WORKFLOW_STACK_FRAMES: bad })).toThrow(
        /WORKER_WORKFLOW_STACK_FRAMES/,
      );
  });
});
