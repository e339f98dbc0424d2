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
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      // The command name is in parentheses and may hold spaces; the fields after it are fixed.
      const close = stat.lastIndexOf(')');
      const comm = stat.slice(stat.indexOf('(') + 1, close);
      const f = stat.slice(close + 2).split(' ');
      const ticks = Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14]);
      out.push({ pid: Number(name), ppid: Number(f[1]), comm, cpu: ticks / TICKS_PER_SECOND });
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

/** CPU seconds so far of each root's process tree, plus `postgres (<role>)` and `postgres (itself)`. */
export function cpuByPart(roots: Record<string, number | undefined>): CpuByPart {
  const procs = readProcs();
  const children = new Map<number, Proc[]>();
  for (const p of procs) children.set(p.ppid, [...(children.get(p.ppid) ?? []), p]);
  const byPid = new Map(procs.map((p) => [p.pid, p]));
  const counted = new Set<number>();
  const parts: CpuByPart = new Map();
  const add = (part: string, s: number) => parts.set(part, (parts.get(part) ?? 0) + s);
  for (const p of procs) {
    if (p.comm !== 'postgres' || counted.has(p.pid)) continue;
    const role = postgresRole(p.pid);
    add(`postgres (${role ?? 'itself'})`, p.cpu);
    counted.add(p.pid);
  }
  for (const [name, root] of Object.entries(roots)) {
    if (root === undefined || !byPid.has(root)) continue;
    const stack = [root];
    while (stack.length) {
      const pid = stack.pop() as number;
      if (counted.has(pid)) continue;
      counted.add(pid);
      add(name, byPid.get(pid)?.cpu ?? 0);
      for (const c of children.get(pid) ?? []) stack.push(c.pid);
    }
  }
  return parts;
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
