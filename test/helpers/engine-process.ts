import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { waitUntil } from './eventually';

const root = join(__dirname, '..', '..');

/**
 * One of the engine's processes (`api/main.ts`, `worker/main.ts`) as production runs it: its own Node
 * process, no tsx wrapper in between, so a SIGKILL reaches it.
 */
export function startEngineProcess(main: string, env: Record<string, string>): ChildProcess {
  return spawn(process.execPath, ['--import', 'tsx', main], {
    cwd: root,
    env: { ...process.env, NODE_ENV: 'test', LOG_LEVEL: 'error', ...env },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
}

/** Resolves once the API answers /healthz, or throws if its process ended first. */
export async function untilListening(url: string, child: ChildProcess): Promise<void> {
  await waitUntil(
    () =>
      fetch(`${url}/healthz`).then(
        (r) => r.status,
        () => (child.exitCode === null ? 0 : -1),
      ),
    (status) => status === 200 || status === -1,
    'the API to listen',
    60_000,
    100,
  );
  if (child.exitCode !== null) throw new Error(`the API exited with ${child.exitCode} before listening`);
}

/** SIGKILLs a process still running and waits for it to be gone. */
export async function killProcess(child: ChildProcess | null | undefined): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGKILL');
  await exited;
}
