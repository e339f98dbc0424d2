import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { cpuByPart, cpuSpent, watchPostgresBackends } from '../../bench/process-cpu';

/**
 * The benchmarks' CPU by part (bench/process-cpu.ts), on the suite's PostgreSQL: a backend's work stays its
 * role's after its connection closes, where PostgreSQL moves it to the postmaster's count of children.
 */
describe('CPU by part of a PostgreSQL whose backends end', () => {
  const url = process.env.TEST_POSTGRES_URL as string;
  // A role of its own, so the suite's other backends on the same server are not this test's.
  const role = `cpu_watch_${randomBytes(4).toString('hex')}`;
  const admin = new Client({ connectionString: url });

  beforeAll(async () => {
    await admin.connect();
    await admin.query(`create role ${role} login`);
  });
  afterAll(async () => {
    await admin.query(`drop role if exists ${role}`);
    await admin.end();
  });

  it("counts a closed connection's CPU to its role, not to PostgreSQL itself", async () => {
    const watch = watchPostgresBackends(100);
    const before = cpuByPart({}, watch.ended());
    const client = new Client({ connectionString: url.replace('//postgres@', `//${role}@`) });
    await client.connect();
    // Sorting a few million numbers: a second or so of the backend's CPU, nothing else's.
    await client.query(
      'select count(distinct (g::bigint * 7919) % 1000003) from generate_series(1, 3000000) g',
    );
    await new Promise((r) => setTimeout(r, 300)); // a reading while it lives
    await client.end();
    // The backend exits once its client has gone; the watch sees it gone.
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
