import { execFile, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { cpuByPart, cpuSpent, threadCpu, watchPostgresBackends } from '../../bench/process-cpu';

/* eslint-disable @typescript-eslint/no-require-imports */
const { ensurePostgres } = require('../../tools/postgres') as { ensurePostgres(): string };
/* eslint-enable @typescript-eslint/no-require-imports */

/**
 * The benchmarks' CPU by part (bench/process-cpu.ts), on the suite's PostgreSQL: a backend's work stays its
 * role's after its connection closes, where PostgreSQL moves it to the postmaster's count of children.
 */
describe('CPU by part of a PostgreSQL whose backends end', () => {
  const url = process.env.TEST_POSTGRES_URL as string;
  // A role of its own, so the suite's other backends on the same server are not this test's.
  const role = `cpu_watch_${randomBytes(4).toString('hex')}`;
  // Not the synchronous call: the watch reads the backends on this process's timers while psql runs.
  const psql = (as: string, sql: string) =>
    promisify(execFile)(
      join(ensurePostgres(), 'psql'),
      ['-w', '-Atc', sql, url.replace('//postgres@', `//${as}@`)],
      { encoding: 'utf8' },
    );

  beforeAll(() => psql('postgres', `create role ${role} login`));
  afterAll(() => psql('postgres', `drop role if exists ${role}`));

  it("counts a closed connection's CPU to its role, not to PostgreSQL itself", async () => {
    const watch = watchPostgresBackends(50);
    const before = cpuByPart({}, watch.ended());
    // Counting a few million distinct numbers, then a pause the watch reads it in: a second or so of the
    // backend's CPU, nothing else's. psql then exits, and its backend with it.
    await psql(
      role,
      'select count(distinct (g::bigint * 7919) % 1000003) from generate_series(1, 3000000) g; select pg_sleep(0.3)',
    );
    const deadline = Date.now() + 10_000;
    while (!watch.ended().has(role) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    const ended = watch.ended();
    watch.stop();

    const worked = ended.get(role) ?? 0;
    expect(worked).toBeGreaterThan(0.2);
    const spent = cpuSpent(cpuByPart({}, ended), before);
    expect(spent.get(`postgres (${role})`)).toBeCloseTo(worked, 5);
    // Without the watch, the work is no longer anyone's but PostgreSQL's own.
    expect(cpuByPart({}).has(`postgres (${role})`)).toBe(false);
  });
});

/** A thread's CPU by its name (bench:scale's core workflow thread of each worker). */
describe('CPU of the threads of a name', () => {
  // Works until this process has spent `ms` of CPU, however busy the machine (a wall-clock loop on a loaded
  // machine gets a fraction of a core).
  const busy = (ms: number) => {
    const start = process.cpuUsage();
    let x = 0;
    for (;;) {
      for (let i = 0; i < 10_000; i++) x += Math.sqrt(x + i);
      const used = process.cpuUsage(start);
      if ((used.user + used.system) / 1000 >= ms) return x;
    }
  };
  // Node names its main thread after the program; its other threads (the platform's, libuv's) too, but
  // they are all but idle while this test computes.
  const mainName = readFileSync(`/proc/${process.pid}/task/${process.pid}/comm`, 'utf8').trim();

  it("counts the named threads' CPU, and grows by the work they do", () => {
    const before = threadCpu([process.pid], mainName);
    busy(400);
    const after = threadCpu([process.pid], mainName);
    // The kernel counts in ticks of 10 ms: allow a few.
    expect(after - before).toBeGreaterThan(0.35);
    expect(after - before).toBeLessThan(2);
  });

  it('counts nothing for a name no thread has, or for no process', () => {
    expect(threadCpu([process.pid], 'no-such-thread')).toBe(0);
    expect(threadCpu([undefined], mainName)).toBe(0);
  });

  it("finds the named thread in a root's descendants, its name cut to 15 characters as the kernel does", async () => {
    // A child that names its main thread as the SDK core names its own, works half a second of CPU, then waits.
    const script = `process.title = 'workflow-processing';
      const start = process.cpuUsage(); let x = 0;
      for (;;) { for (let i = 0; i < 10000; i++) x += Math.sqrt(x + i);
        const u = process.cpuUsage(start); if (u.user + u.system >= 500000) break; }
      process.stdout.write('done'); setInterval(() => {}, 1000);`;
    const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    try {
      await new Promise((r) => child.stdout.once('data', r));
      const worked = threadCpu([process.pid], 'workflow-processing');
      expect(worked).toBeGreaterThan(0.4);
      expect(worked).toBeLessThan(3);
      // Not this process's own threads: they keep the program's name.
      expect(threadCpu([process.pid], mainName)).toBeGreaterThan(0);
      expect(threadCpu([child.pid], 'workflow-processing')).toBeCloseTo(worked, 1);
    } finally {
      child.kill();
    }
  });
});
