import { spawn, type ChildProcess } from 'node:child_process';

export interface ChildSpec {
  name: string;
  command: string;
  args: string[];
  env?: NodeJS.ProcessEnv;
  cwd?: string;
}

export interface SuperviseOptions {
  log: (line: string) => void;
  /** Called with each new process (the first and every restart), e.g. to prefix its output. */
  onSpawn?: (proc: ChildProcess) => void;
  /** Called once the child crashed too often to keep trying. */
  onGiveUp?: (name: string) => void;
  /** A run shorter than this counts as a quick crash; a longer one clears the count. */
  quickCrashMs?: number;
  /** Quick crashes in a row tolerated; one more and the child is left down. */
  maxQuickCrashes?: number;
  /** First delay before a restart, doubled for each quick crash in a row, up to maxBackoffMs. */
  backoffMs?: number;
  maxBackoffMs?: number;
  /** How long stop() waits after SIGTERM before SIGKILL. */
  killAfterMs?: number;
}

const DEFAULTS = {
  quickCrashMs: 10_000,
  maxQuickCrashes: 5,
  backoffMs: 500,
  maxBackoffMs: 8_000,
  killAfterMs: 10_000,
};

const duration = (ms: number) => (ms < 1000 ? `${ms} ms` : `${(ms / 1000).toFixed(1)} s`);

function describeExit(code: number | null, signal: NodeJS.Signals | null): string {
  return signal ? `signal ${signal}` : `code ${String(code)}`;
}

/**
 * One child process kept running: when it dies it is started again after a backoff, so one crash of the
 * worker, the API or the emulator does not take the development stack down; a child that keeps dying
 * right after it starts is given up on (a broken build will not heal by retrying).
 */
export class SupervisedChild {
  private proc: ChildProcess | null = null;
  private startedAt = 0;
  private quickCrashes = 0;
  private restartTimer: NodeJS.Timeout | null = null;
  private stopping = false;
  private readonly opts: Required<Omit<SuperviseOptions, 'onSpawn' | 'onGiveUp'>> &
    Pick<SuperviseOptions, 'onSpawn' | 'onGiveUp'>;
  /** How many times the child was started again. */
  restarts = 0;
  gaveUp = false;

  constructor(
    readonly spec: ChildSpec,
    opts: SuperviseOptions,
  ) {
    this.opts = { ...DEFAULTS, ...opts };
  }

  get pid(): number | undefined {
    return this.proc?.pid;
  }

  get running(): boolean {
    const p = this.proc;
    return p !== null && p.pid !== undefined && p.exitCode === null && p.signalCode === null;
  }

  start(): ChildProcess {
    const { command, args, env, cwd } = this.spec;
    const proc = spawn(command, args, { env: env ?? process.env, cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    this.proc = proc;
    this.startedAt = Date.now();
    let ended = false;
    const end = (code: number | null, signal: NodeJS.Signals | null) => {
      if (ended) return;
      ended = true;
      this.exited(proc, code, signal);
    };
    proc.once('exit', end);
    // A command that cannot be spawned at all (ENOENT) may report only here, with no 'exit' to follow.
    proc.on('error', (err) => {
      this.opts.log(`${this.spec.name}: ${err.message}`);
      if (proc.pid === undefined) end(null, null);
    });
    this.opts.onSpawn?.(proc);
    return proc;
  }

  private exited(proc: ChildProcess, code: number | null, signal: NodeJS.Signals | null): void {
    if (this.stopping || proc !== this.proc) return;
    const ranMs = Date.now() - this.startedAt;
    this.quickCrashes = ranMs < this.opts.quickCrashMs ? this.quickCrashes + 1 : 0;
    const how = `${this.spec.name} exited (${describeExit(code, signal)}) after ${duration(ranMs)}`;
    if (this.quickCrashes > this.opts.maxQuickCrashes) {
      this.gaveUp = true;
      this.opts.log(
        `${how}; it crashed ${this.quickCrashes} times in a row within ${this.opts.quickCrashMs / 1000} s of starting, giving up`,
      );
      this.opts.onGiveUp?.(this.spec.name);
      return;
    }
    const delay = Math.min(
      this.opts.backoffMs * 2 ** Math.max(0, this.quickCrashes - 1),
      this.opts.maxBackoffMs,
    );
    this.opts.log(`${how}; restarting in ${duration(delay)}`);
    this.restartTimer = setTimeout(() => {
      this.restartTimer = null;
      if (this.stopping) return;
      this.restarts++;
      const next = this.start();
      this.opts.log(`${this.spec.name} restarted (pid ${String(next.pid)})`);
    }, delay);
  }

  /** No restart from now on; the child keeps running until stop(). */
  retire(): void {
    this.stopping = true;
    if (this.restartTimer) clearTimeout(this.restartTimer);
    this.restartTimer = null;
  }

  /** Stops the child for good: SIGTERM, then SIGKILL if it lingers; no restart follows. */
  async stop(): Promise<void> {
    this.retire();
    const proc = this.proc;
    if (!proc || proc.pid === undefined || proc.exitCode !== null || proc.signalCode !== null) return;
    const exited = new Promise((resolve) => proc.once('exit', resolve));
    proc.kill('SIGTERM');
    const killer = setTimeout(() => proc.kill('SIGKILL'), this.opts.killAfterMs);
    await exited;
    clearTimeout(killer);
  }
}

/** The children of `npm run dev`, stopped in the reverse order of their start. */
export class Supervisor {
  private readonly children: SupervisedChild[] = [];

  constructor(private readonly defaults: SuperviseOptions) {}

  start(spec: ChildSpec, opts: Partial<SuperviseOptions> = {}): SupervisedChild {
    const child = new SupervisedChild(spec, { ...this.defaults, ...opts });
    this.children.push(child);
    child.start();
    return child;
  }

  async stopAll(): Promise<void> {
    // Ctrl-C reaches every child at once: one that exits while a later one is being stopped stays down.
    for (const child of this.children) child.retire();
    for (const child of [...this.children].reverse()) await child.stop();
  }
}
