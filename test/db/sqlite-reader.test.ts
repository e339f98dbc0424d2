import { openTestDatabase } from '../helpers/db';
import { sqlFor } from '../../db/raw-sql';
import { SqliteReader } from '../../db/sqlite-reader';

/**
 * Raw reads outside a transaction on a SQLite file go through a query-only connection of their own
 * (prepared once, bound): what they answer must be what the ORM's connection holds once committed, and
 * nothing else may change — statements in a transaction, writes and values only the ORM converts still
 * go the ORM's way.
 */
describe('the SQLite query-only reader', () => {
  let db: Awaited<ReturnType<typeof openTestDatabase>>;
  beforeAll(async () => {
    db = await openTestDatabase('sqlite');
  });
  afterAll(() => db.close());

  const insertType = (code: string) =>
    `insert into usage_types (code, description, created_by, created_at) values ('${code}', null, 'test', 0)`;

  it('reads what is committed, the same rows the ORM connection gives, with bound parameters', async () => {
    const em = db.orm.em.fork();
    await em.getConnection().execute(insertType('rd_one'));
    const text = 'select code, description from usage_types where code = ? or code = ? order by code';
    const viaReader = await sqlFor(em).run(text, ['rd_one', 'nothing']);
    const viaOrm = await em.getConnection().execute(text, ['rd_one', 'nothing']);
    expect(viaReader).toEqual([{ code: 'rd_one', description: null }]);
    expect(viaReader).toEqual(viaOrm);
    // The same text again, other values: the prepared statement is reused, not the first answer.
    expect(await sqlFor(em).run(text, ['nothing', 'none'])).toEqual([]);
  });

  it('never sees another request’s transaction half done, which the ORM’s one connection would', async () => {
    const seen: { outside: unknown[]; inside: unknown[] } = { outside: [], inside: [] };
    await db.orm.em.fork().transactional(async (tem) => {
      await sqlFor(tem).run(insertType('rd_pending'));
      seen.inside = await sqlFor(tem).run("select code from usage_types where code = 'rd_pending'");
      seen.outside = await sqlFor(db.orm.em.fork()).run(
        "select code from usage_types where code = 'rd_pending'",
      );
    });
    expect(seen.inside).toEqual([{ code: 'rd_pending' }]);
    expect(seen.outside).toEqual([]);
    expect(
      await sqlFor(db.orm.em.fork()).run("select code from usage_types where code = 'rd_pending'"),
    ).toEqual([{ code: 'rd_pending' }]);
  });

  it('leaves writes, and reads binding values only the ORM converts, to the ORM connection', async () => {
    const sql = sqlFor(db.orm.em.fork());
    await sql.run(insertType('rd_written'));
    await sql.run('delete from usage_types where code = ?', ['rd_written']);
    expect(await sql.run('select code from usage_types where code = ?', ['rd_written'])).toEqual([]);
    const asDate = await sql.run<{ n: number }>(
      'select count(*) as n from usage_types where created_at <= ?',
      [new Date()],
    );
    expect(asDate[0]!.n).toBeGreaterThan(0);
  });

  it('rejects a statement SQLite cannot prepare, as the ORM connection would, without throwing', async () => {
    const sql = sqlFor(db.orm.em.fork());
    let answer: Promise<unknown> | undefined;
    expect(() => (answer = sql.run('select a_column from no_such_table where x = ?', ['y']))).not.toThrow();
    // Matched on the message: SQLite's error class comes from outside the test's realm.
    await expect(answer).rejects.toMatchObject({ message: expect.stringMatching(/no_such_table/) });
  });

  it('refuses to write through its own connection even when asked directly', () => {
    const file = db.url.slice('sqlite:'.length);
    const reader = SqliteReader.open(file);
    try {
      expect(reader.read(insertType('rd_direct'), [])).toBeNull();
      expect(reader.read('select count(*) as n from usage_types where code = ?', ['rd_direct'])).toEqual([
        { n: 0 },
      ]);
      expect(reader.read('select ? as v', [true])).toBeNull();
    } finally {
      reader.close();
    }
  });
});
