import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { cpuByPart, cpuSpent, watchPostgresBackends } from '../../bench/process-cpu';

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
