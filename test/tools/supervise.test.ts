import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SupervisedChild, Supervisor, type ChildSpec } from '../../tools/supervise';

/** A real node process running `code`; `argv[1]` is the test's scratch directory. */
const node = (name: string, code: string): ChildSpec => ({
  name,
  command: process.execPath,
  args: ['-e', code, dir],
});

/** Stays up until killed. */
const STAY_UP = 'setInterval(() => {}, 1000);';

function alive(pid: number | undefined): boolean {
  if (pid === undefined) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function until(what: string, check: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

let dir: string;
let lines: string[];
const started: (SupervisedChild | Supervisor)[] = [];
const fast = { backoffMs: 20, maxBackoffMs: 200, log: (l: string) => lines.push(l) };

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'supervise-'));
  lines = [];
});
afterEach(async () => {
  for (const s of started.splice(0)) await (s instanceof Supervisor ? s.stopAll() : s.stop());
  rmSync(dir, { recursive: true, force: true });
});

function supervise(spec: ChildSpec, opts: Partial<ConstructorParameters<typeof SupervisedChild>[1]> = {}) {
  const child = new SupervisedChild(spec, { ...fast, ...opts });
  started.push(child);
  child.start();
  return child;
}

describe('supervised child', () => {
  it('restarts a child that dies, logs the death and the restart, and keeps the new one running', async () => {
    // First run: leave a mark and crash. Later runs: stay up.
    const child = supervise(
      node(
        'api',
        `const f = require('path').join(process.argv[1], 'crashed');
         if (!require('fs').existsSync(f)) { require('fs').writeFileSync(f, ''); process.exit(3); }
         ${STAY_UP}`,
      ),
    );
    const firstPid = child.pid;
    await until('the restart', () => child.restarts === 1 && child.running);
    expect(child.pid).not.toBe(firstPid);
    expect(alive(child.pid)).toBe(true);
    expect(lines[0]).toMatch(/^api exited \(code 3\) after [\d.]+ m?s; restarting in 20 ms$/);
    expect(lines[1]).toBe(`api restarted (pid ${String(child.pid)})`);
    await new Promise((r) => setTimeout(r, 200));
    expect(child.restarts).toBe(1);
  });

  it('restarts a child killed by a signal', async () => {
    const child = supervise(node('worker', STAY_UP));
    const firstPid = child.pid as number;
    process.kill(firstPid, 'SIGKILL');
    await until('the restart', () => child.restarts === 1 && child.running);
    expect(lines[0]).toMatch(/^worker exited \(signal SIGKILL\)/);
  });

  it('gives up on a child that keeps crashing right after it starts, waiting longer each time', async () => {
    const gaveUp: string[] = [];
    const child = supervise(node('emulator', 'process.exit(1)'), {
      maxQuickCrashes: 3,
      backoffMs: 40,
      maxBackoffMs: 10_000,
      onGiveUp: (name) => gaveUp.push(name),
    });
    await until('giving up', () => gaveUp.length > 0);
    expect(gaveUp).toEqual(['emulator']);
    expect(child.gaveUp).toBe(true);
    expect(child.restarts).toBe(3);
    const delays = lines
      .map((l) => /restarting in (\d+ ms)/.exec(l)?.[1])
      .filter((d): d is string => d !== undefined);
    expect(delays).toEqual(['40 ms', '80 ms', '160 ms']);
    expect(lines.at(-1)).toMatch(/^emulator exited \(code 1\).*crashed 4 times in a row.*giving up$/);
    await new Promise((r) => setTimeout(r, 300));
    expect(child.restarts).toBe(3);
    expect(child.running).toBe(false);
  });

  it('forgives crashes that come after a long enough run', async () => {
    const gaveUp: string[] = [];
    // Each run lasts 150 ms, longer than the 100 ms that counts as a quick crash.
    const child = supervise(node('api', 'setTimeout(() => process.exit(1), 150)'), {
      quickCrashMs: 100,
      maxQuickCrashes: 1,
      onGiveUp: (name) => gaveUp.push(name),
    });
    await until('four restarts', () => child.restarts >= 4, 15_000);
    expect(gaveUp).toEqual([]);
  });

  it('stops a child for good: no restart after stop()', async () => {
    const child = supervise(node('api', STAY_UP));
    const pid = child.pid;
    await child.stop();
    expect(alive(pid)).toBe(false);
    await new Promise((r) => setTimeout(r, 200));
    expect(child.restarts).toBe(0);
    expect(lines).toEqual([]);
  });

  it('kills a child that ignores SIGTERM once the grace period is over', async () => {
    const child = supervise(
      node(
        'stubborn',
        `process.on('SIGTERM', () => {});
         require('fs').writeFileSync(require('path').join(process.argv[1], 'ready'), '');
         ${STAY_UP}`,
      ),
      { killAfterMs: 200 },
    );
    await until('the handler', () => existsSync(join(dir, 'ready')));
    const pid = child.pid;
    const began = Date.now();
    await child.stop();
    expect(Date.now() - began).toBeGreaterThanOrEqual(150);
    expect(alive(pid)).toBe(false);
  });

  it('keeps trying when the command cannot be started at all, then gives up', async () => {
    const gaveUp: string[] = [];
    const child = supervise(
      { name: 'missing', command: join(dir, 'no-such-binary'), args: [] },
      { maxQuickCrashes: 1, onGiveUp: (name) => gaveUp.push(name) },
    );
    await until('giving up', () => gaveUp.length > 0);
    expect(child.restarts).toBe(1);
    expect(lines.some((l) => l.includes('ENOENT'))).toBe(true);
  });
});

describe('supervisor', () => {
  it('stops every child in the reverse order of their start, as Ctrl-C does', async () => {
    const supervisor = new Supervisor(fast);
    started.push(supervisor);
    const log = join(dir, 'stopped');
    const child = (name: string) =>
      node(
        name,
        `process.on('SIGTERM', () => {
           require('fs').appendFileSync(require('path').join(process.argv[1], 'stopped'), '${name}\\n');
           process.exit(0);
         });
         require('fs').writeFileSync(require('path').join(process.argv[1], '${name}.up'), '');
         ${STAY_UP}`,
      );
    const children = ['temporal', 'emulator', 'worker', 'api'].map((n) => supervisor.start(child(n)));
    await until('all up', () =>
      ['temporal', 'emulator', 'worker', 'api'].every((n) => existsSync(join(dir, `${n}.up`))),
    );
    await supervisor.stopAll();
    expect(readFileSync(log, 'utf8').trim().split('\n')).toEqual(['api', 'worker', 'emulator', 'temporal']);
    expect(children.map((c) => alive(c.pid))).toEqual([false, false, false, false]);
    expect(children.map((c) => c.restarts)).toEqual([0, 0, 0, 0]);
  });

  it('does not restart a child that exits on its own while the others are being stopped', async () => {
    const supervisor = new Supervisor(fast);
    started.push(supervisor);
    const first = supervisor.start(node('temporal', STAY_UP));
    // The last child takes a while to stop, as the API does while it drains.
    const slow = supervisor.start(
      node(
        'api',
        `process.on('SIGTERM', () => setTimeout(() => process.exit(0), 300));
         require('fs').writeFileSync(require('path').join(process.argv[1], 'api.up'), '');
         ${STAY_UP}`,
      ),
    );
    await until('api up', () => existsSync(join(dir, 'api.up')));
    const stopping = supervisor.stopAll();
    process.kill(first.pid as number, 'SIGINT');
    await stopping;
    await new Promise((r) => setTimeout(r, 100));
    expect([first.restarts, slow.restarts]).toEqual([0, 0]);
    expect(lines.filter((l) => l.includes('restarting'))).toEqual([]);
    expect(alive(first.pid)).toBe(false);
  });
});
