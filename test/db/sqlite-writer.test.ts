import { EngineSetting } from '../../db/entities';
import { SqliteWriter } from '../../db/sqlite-writer';
import { openTestDatabase } from '../helpers/db';
import { waitUntil } from '../helpers/eventually';

const job = { module: require.resolve('./sqlite-writer-jobs'), name: 'putSettings' };

describe('the SQLite writer thread', () => {
  let db: Awaited<ReturnType<typeof openTestDatabase>>;
  let writer: SqliteWriter<{ keys: string[]; fail?: boolean }, number>;
  beforeAll(async () => {
    db = await openTestDatabase('sqlite');
    writer = new SqliteWriter(db.url.slice('sqlite:'.length), job, { idleMs: 200 });
  });
  afterAll(async () => {
    await writer?.close();
    await db?.close();
  });

  const keysStored = async () =>
    (await db.orm.em.fork().find(EngineSetting, {}, { orderBy: { key: 'asc' } })).map((s) => s.key);

  it('answers once the job has committed: the ORM reads what it wrote', async () => {
    expect(await writer.run({ keys: ['a', 'b'] })).toBe(2);
    expect(await keysStored()).toEqual(['a', 'b']);
  });

  it('rolls back a job that fails and hands its error back, code included', async () => {
    await expect(writer.run({ keys: ['c', 'd'], fail: true })).rejects.toMatchObject({
      message: 'asked to fail',
      code: 'TEST_FAILURE',
    });
    expect(await keysStored()).toEqual(['a', 'b']);
  });

  it('runs jobs sent together one after the other, each in its own transaction', async () => {
    const outcomes = await Promise.allSettled([
      writer.run({ keys: ['e'] }),
      writer.run({ keys: ['f'], fail: true }),
      writer.run({ keys: ['a'] }), // a is taken: the primary key refuses it
      writer.run({ keys: ['g'] }),
    ]);
    expect(outcomes.map((o) => (o.status === 'fulfilled' ? o.value : o.status))).toEqual([
      3,
      'rejected',
      'rejected',
      4,
    ]);
    expect(await keysStored()).toEqual(['a', 'b', 'e', 'g']);
  });

  it('lets its thread go when idle and starts another for the next job', async () => {
    await writer.run({ keys: ['h'] });
    await waitUntil(
      async () => writer.running,
      (running) => !running,
      'the idle thread to go',
    );
    expect(await writer.run({ keys: ['i'] })).toBe(6);
    expect(writer.running).toBe(true);
  });
});
