import { readdirSync, readFileSync } from 'node:fs';

/**
 * CPU seconds spent by each part of a cluster, read from /proc: each named process with all its
 * descendants, and PostgreSQL's backends by the role they serve (a backend's title names its role), so
 * the engine's database work and Temporal's persistence are told apart. Linux only; elsewhere it is empty.
 */
export type CpuByPart = Map<string, number>;

const TICKS_PER_SECOND = 100;

interface Proc {
  pid: number;
  ppid: number;
  comm: string;
  /** user + system, own and of children already waited for, in seconds */
  cpu: number;
  /** When it started (clock ticks after boot): with the pid, names one process even if the pid is reused. */
  start: number;
}

/** A `/proc/…/stat` line: the command name, in parentheses and possibly holding spaces, and the fixed fields after it. */
function parseStat(stat: string): { comm: string; fields: string[] } {
  const close = stat.lastIndexOf(')');
  return { comm: stat.slice(stat.indexOf('(') + 1, close), fields: stat.slice(close + 2).split(' ') };
}

function readProcs(): Proc[] {
  let names: string[];
  try {
    names = readdirSync('/proc');
  } catch {
    return [];
  }
  const out: Proc[] = [];
  for (const name of names) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const { comm, fields: f } = parseStat(readFileSync(`/proc/${name}/stat`, 'utf8'));
      const ticks = Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14]);
      out.push({
        pid: Number(name),
        ppid: Number(f[1]),
        comm,
        cpu: ticks / TICKS_PER_SECOND,
        start: Number(f[19]),
      });
    } catch {
      // Gone between the listing and the read.
    }
  }
  return out;
}

function postgresRole(pid: number): string | null {
  try {
    // "postgres: temporal temporal 127.0.0.1(51234) idle": the role follows the program's name.
    const title = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
    const m = /^postgres: (\S+) \S+ \S+/.exec(title);
    return m ? (m[1] as string) : null;
  } catch {
    return null;
  }
}

/**
 * A backend PostgreSQL ended (its client closed the connection: the engine's pools close idle ones) leaves
 * its CPU to the postmaster's count of children waited for, which would read as PostgreSQL's own work, and
 * more so the longer a run lasts. Reading the backends every second keeps each one's role and its CPU so
 * far, so that once it has ended that CPU goes back to its role (`ended`, CPU seconds by role since the
 * watch began). What a backend spent after the last reading, and backends that lived less than a second,
 * stay with PostgreSQL's own.
 */
export function watchPostgresBackends(everyMs = 1000): {
  ended(): Map<string, number>;
  stop(): void;
} {
  const seen = new Map<string, { role: string; cpu: number }>();
  const ended = new Map<string, number>();
  const read = () => {
    const live = new Set<string>();
    for (const p of readProcs()) {
      if (p.comm !== 'postgres') continue;
      const key = `${p.pid}@${p.start}`;
      live.add(key);
      const known = seen.get(key);
      if (known) known.cpu = p.cpu;
      else {
        const role = postgresRole(p.pid);
        if (role) seen.set(key, { role, cpu: p.cpu });
      }
    }
    for (const [key, b] of seen) {
      if (live.has(key)) continue;
      ended.set(b.role, (ended.get(b.role) ?? 0) + b.cpu);
      seen.delete(key);
    }
  };
  read();
  // The backends that ended before the watch began are PostgreSQL's own to it: count from zero.
  ended.clear();
  const timer = setInterval(read, everyMs);
  timer.unref();
  return {
    ended: () => {
      read();
      return new Map(ended);
    },
    stop: () => clearInterval(timer),
  };
}

/** Each process's children's pids, by its pid. */
function childrenOf(procs: readonly Proc[]): Map<number, number[]> {
  const children = new Map<number, number[]>();
  for (const p of procs) children.set(p.ppid, [...(children.get(p.ppid) ?? []), p.pid]);
  return children;
}

/**
 * Calls `visit` once for each process of the roots' trees (each root and its descendants), skipping and
 * then marking those already in `seen`, so a process shared by two walks counts for the first.
 */
function walkTrees(
  roots: readonly number[],
  children: ReadonlyMap<number, readonly number[]>,
  seen: Set<number>,
  visit: (pid: number) => void,
): void {
  const stack = [...roots];
  while (stack.length) {
    const pid = stack.pop() as number;
    if (seen.has(pid)) continue;
    seen.add(pid);
    visit(pid);
    stack.push(...(children.get(pid) ?? []));
  }
}

/**
 * CPU seconds so far of each root's process tree, plus `postgres (<role>)` and `postgres (itself)`; with
 * `ended` (from watchPostgresBackends), the backends that ended are counted to their role, not itself.
 */
export function cpuByPart(
  roots: Record<string, number | undefined>,
  ended: ReadonlyMap<string, number> = new Map(),
): CpuByPart {
  const procs = readProcs();
  const byPid = new Map(procs.map((p) => [p.pid, p]));
  const children = childrenOf(procs);
  const counted = new Set<number>();
  const parts: CpuByPart = new Map();
  const add = (part: string, s: number) => parts.set(part, (parts.get(part) ?? 0) + s);
  for (const p of procs) {
    if (p.comm !== 'postgres' || counted.has(p.pid)) continue;
    const role = postgresRole(p.pid);
    add(`postgres (${role ?? 'itself'})`, p.cpu);
    counted.add(p.pid);
  }
  for (const [role, s] of ended) {
    add(`postgres (${role})`, s);
    add('postgres (itself)', -s);
  }
  for (const [name, root] of Object.entries(roots)) {
    if (root === undefined || !byPid.has(root)) continue;
    walkTrees([root], children, counted, (pid) => add(name, byPid.get(pid)?.cpu ?? 0));
  }
  return parts;
}

/**
 * CPU seconds so far of the threads named `comm` in the given processes (and their descendants): a thread's
 * name is what tells one part of a process from another, such as the Temporal SDK core's thread that
 * handles a worker's every workflow task and activation (`workflow-processing`, cut to the kernel's 15
 * characters). Threads that have ended are not counted. 0 where none is, or off Linux.
 */
export function threadCpu(roots: readonly (number | undefined)[], comm: string): number {
  const name = comm.slice(0, 15);
  let total = 0;
  const rooted = roots.filter((r): r is number => r !== undefined);
  walkTrees(rooted, childrenOf(readProcs()), new Set(), (pid) => {
    let tids: string[];
    try {
      tids = readdirSync(`/proc/${pid}/task`);
    } catch {
      return;
    }
    for (const tid of tids) {
      try {
        const { comm: threadName, fields: f } = parseStat(
          readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8'),
        );
        if (threadName === name) total += (Number(f[11]) + Number(f[12])) / TICKS_PER_SECOND;
      } catch {
        // The thread ended between the listing and the read.
      }
    }
  });
  return total;
}

/** What each part spent between two readings; a part restarted in between counts from zero. */
export function cpuSpent(after: CpuByPart, before: CpuByPart): CpuByPart {
  const out: CpuByPart = new Map();
  for (const [part, s] of after) {
    const b = before.get(part) ?? 0;
    out.set(part, s >= b ? s - b : s);
  }
  return out;
}

/** The machine's CPU time so far, in seconds of all cores: busy, idle, and (apart from idle) waiting on the disk. */
export function machineCpu(): { busy: number; idle: number; iowait: number } {
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n')[0] as string;
    const [user, nice, system, idle, iowait, irq, softirq, steal] = line
      .trim()
      .split(/\s+/)
      .slice(1)
      .map(Number) as number[];
    const s = (n: number | undefined) => (n ?? 0) / TICKS_PER_SECOND;
    return {
      busy: s(user) + s(nice) + s(system) + s(irq) + s(softirq) + s(steal),
      idle: s(idle),
      iowait: s(iowait),
    };
  } catch {
    return { busy: NaN, idle: NaN, iowait: NaN };
  }
}
