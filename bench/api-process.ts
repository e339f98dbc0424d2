/**
 * The API as production runs it, for the benchmarks: the engine compiled as its image runs it (`npm run
 * build` into dist/, then `node dist/api/main.js`) in a process of its own, on a database the benchmark has
 * seeded, Temporal out of reach (the reads and usage reports measured never call it). What the benchmarks
 * read of it while it runs comes from its /metrics: the process's CPU time, how busy its event loop was, and
 * the usage ledger's commits.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { setPriority, tmpdir } from 'node:os';
import { join, resolve as resolvePath } from 'node:path';
import { withoutTemporalTls } from '../config/temporal-tls';
import { compiledEngine } from '../tools/compiled-engine';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { freePort } = require('../tools/free-port') as { freePort: () => Promise<number> };

const ROOT = join(__dirname, '..');

/** Counters read from the API's /metrics at one moment; differences between two readings are the figures. */
export interface ApiReading {
  /** When it was read (performance.now() of this process). */
  atMs: number;
  /** CPU time of every thread of the API process. */
  cpuMicros: number;
  /** Time the API's event loop was busy. */
  loopBusyMs: number;
  /** Usage ledger commits, the time they took, and the reports they held. */
  commits: number;
  commitMs: number;
  reports: number;
  /** Looks at customers' credit alerts after their reports. */
  alertLooks: number;
}

export interface ApiProcess {
  port: number;
  /** The priority asked for, when the system allowed it (raising one needs the right to). */
  priority: Priority | null;
  read(): Promise<ApiReading>;
  stop(): Promise<void>;
}

/** The sum of a metric's samples in Prometheus text (every label set). */
function sample(text: string, name: string): number {
  let sum = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(name)) continue;
    const rest = line.slice(name.length);
    if (rest[0] !== ' ' && rest[0] !== '{') continue;
    sum += Number(rest.slice(rest.lastIndexOf(' ') + 1));
  }
  return sum;
}

/**
 * How a process goes first for the CPU, standing in on a shared machine for a core of its own: `fifo`,
 * the real-time policy (chrt), runs it the moment it wakes, ahead of every ordinary process; `nice` only
 * weighs its share, so a process woken while the others run can wait for the CPU a few milliseconds.
 */
export interface Priority {
  policy: 'fifo' | 'nice';
  /** The real-time priority (1–99) or the niceness (−20–19). */
  level: number;
}

/** `fifo:10` or `nice:-10`, as the benchmarks' flags take it. */
export function parsePriority(text: string): Priority {
  const m = /^(fifo|nice):(-?\d+)$/.exec(text);
  if (!m) throw new Error(`a priority is fifo:<1-99> or nice:<-20-19>, not ${JSON.stringify(text)}`);
  return { policy: m[1] as Priority['policy'], level: Number(m[2]) };
}

export const describePriority = (p: Priority | null): string =>
  p === null ? 'the usual priority' : p.policy === 'fifo' ? `SCHED_FIFO ${p.level}` : `nice ${p.level}`;

/**
 * Gives a process (every thread it has; the ones it starts later inherit the policy) a priority; null, with
 * a word on stderr, when the system refuses. A refused real-time policy (no chrt, or no right to it) falls
 * back to nice -10, so the lane still goes first where the run may raise it at all.
 */
export function prioritize(pid: number | undefined, priority: Priority): Priority | null {
  if (pid === undefined) return null;
  try {
    if (priority.policy === 'fifo')
      execFileSync('chrt', ['--fifo', '--all-tasks', '--pid', String(priority.level), String(pid)], {
        stdio: ['ignore', 'ignore', 'pipe'],
      });
    else setPriority(pid, priority.level);
    return priority;
  } catch (err) {
    console.error(`could not set ${describePriority(priority)} (${(err as Error).message.trim()})`);
    return priority.policy === 'fifo' ? prioritize(pid, { policy: 'nice', level: -10 }) : null;
  }
}

export async function startApiProcess(opts: {
  databaseUrl: string;
  /** The identity provider whose tokens the benchmark sends. */
  oidc: { issuer: string; jwksUrl: string };
  /** A folder for the API process's CPU profile (node --cpu-prof), written when it stops. */
  profile?: string | null;
  /** What the process serves (API_SERVES): everything, or only the gateway's access lane. */
  serves?: 'all' | 'access';
  /** A priority for the process, standing in for CPU of its own. */
  priority?: Priority;
}): Promise<ApiProcess> {
  const varDir = mkdtempSync(join(tmpdir(), 'bench-api-'));
  const port = await freePort();
  const nodeArgs = opts.profile ? ['--cpu-prof', `--cpu-prof-dir=${resolvePath(opts.profile)}`] : [];
  const child: ChildProcess = spawn(process.execPath, [...nodeArgs, compiledEngine('api/main')], {
    cwd: ROOT,
    env: {
      ...withoutTemporalTls(process.env),
      NODE_ENV: 'test',
      LOG_LEVEL: 'error',
      PORT: String(port),
      DATABASE_URL: opts.databaseUrl,
      // Nothing listens there: the calls measured never reach Temporal.
      TEMPORAL_ADDRESS: '127.0.0.1:1',
      OIDC_ISSUER: opts.oidc.issuer,
      OIDC_JWKS_URL: opts.oidc.jwksUrl,
      VAR_DIR: varDir,
      API_SERVES: opts.serves ?? 'all',
    },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const priority = opts.priority ? prioritize(child.pid, opts.priority) : null;
  const base = `http://127.0.0.1:${port}`;
  const cleanUp = () => rmSync(varDir, { recursive: true, force: true });
  try {
    for (const deadline = Date.now() + 120_000; ;) {
      if (child.exitCode !== null || child.signalCode !== null)
        throw new Error(`the API exited with ${child.exitCode ?? child.signalCode} before it was ready`);
      if (Date.now() > deadline) throw new Error('the API did not answer /healthz within 120 s');
      const ok = await fetch(`${base}/healthz`).then(
        (r) => r.ok,
        () => false,
      );
      if (ok) break;
      await new Promise((r) => setTimeout(r, 100));
    }
  } catch (err) {
    child.kill('SIGKILL');
    await exited;
    cleanUp();
    throw err;
  }
  return {
    port,
    priority,
    async read() {
      const res = await fetch(`${base}/metrics`);
      const text = await res.text();
      if (!res.ok) throw new Error(`/metrics answered ${res.status}: ${text.slice(0, 200)}`);
      return {
        atMs: performance.now(),
        cpuMicros:
          (sample(text, 'process_cpu_user_seconds_total') +
            sample(text, 'process_cpu_system_seconds_total')) *
          1e6,
        loopBusyMs: sample(text, 'billing_event_loop_busy_seconds_total') * 1000,
        commits: sample(text, 'billing_usage_ledger_commits_total'),
        commitMs: sample(text, 'billing_usage_ledger_commit_seconds_total') * 1000,
        reports: sample(text, 'billing_usage_ledger_reports_total'),
        alertLooks: sample(text, 'billing_credit_alert_looks_total'),
      };
    },
    async stop() {
      // SIGTERM: the API closes its server and database and exits, writing its CPU profile.
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
      cleanUp();
    },
  };
}
