import { spawn } from 'node:child_process';
import { join } from 'node:path';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { isAlive } = require('../../tools/process-alive') as { isAlive: (pid: number) => boolean };

const TIED_CHILD = join(__dirname, '../../tools/tied-child.js');

/** A parent that starts `sleep` (tied to it or not), says the sleeper's pid, and waits to be killed. */
async function parentWithSleeper(tied: boolean): Promise<{ parentPid: number; sleeperPid: number }> {
  const script = `
    const { spawn } = require('node:child_process');
    const { tiedToParent } = require(${JSON.stringify(TIED_CHILD)});
    const [cmd, args] = ${tied} ? tiedToParent('sleep', ['300']) : ['sleep', ['300']];
    const child = spawn(cmd, args, { stdio: 'ignore' });
    child.once('spawn', () => process.stdout.write(String(child.pid) + '\\n'));
    setInterval(() => {}, 1000);
  `;
  const parent = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  const sleeperPid = await new Promise<number>((resolve, reject) => {
    parent.stdout.once('data', (d: Buffer) => resolve(Number(String(d).trim())));
    parent.once('exit', (code) => reject(new Error(`the parent exited with ${code}`)));
  });
  return { parentPid: parent.pid as number, sleeperPid };
}

async function gone(pid: number, withinMs: number): Promise<boolean> {
  for (const deadline = Date.now() + withinMs; Date.now() < deadline;) {
    if (!isAlive(pid)) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return !isAlive(pid);
}

const onLinux = process.platform === 'linux';

describe('a server a test starts dies with the process that started it', () => {
  (onLinux ? it : it.skip)('is killed when its parent is SIGKILLed, which no exit handler sees', async () => {
    const { parentPid, sleeperPid } = await parentWithSleeper(true);
    expect(isAlive(sleeperPid)).toBe(true);
    process.kill(parentPid, 'SIGKILL');
    expect(await gone(sleeperPid, 5_000)).toBe(true);
  });

  it('outlives a SIGKILLed parent when not tied to it (what the tie is for)', async () => {
    const { parentPid, sleeperPid } = await parentWithSleeper(false);
    try {
      process.kill(parentPid, 'SIGKILL');
      expect(await gone(sleeperPid, 1_000)).toBe(false);
    } finally {
      process.kill(sleeperPid, 'SIGKILL');
    }
  });
});
