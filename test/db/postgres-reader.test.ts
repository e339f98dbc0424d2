import { openTestDatabase } from '../helpers/db';
import { numberedPlaceholders } from '../../db/postgres-reader';
import { sqlFor } from '../../db/raw-sql';

describe('numbered placeholders for PostgreSQL', () => {
  it.each([
    ['select 1', 'select 1'],
    ['select a from t where b = ? and c = ?', 'select a from t where b = $1 and c = $2'],
    ["select '?' as q, x from t where y = ?", "select '?' as q, x from t where y = $1"],
    ["select 'it''s ?' as q where z in (?, ?)", "select 'it''s ?' as q where z in ($1, $2)"],
  ])('%s', (text, expected) => {
    expect(numberedPlaceholders(text)).toBe(expected);
  });
});

/**
 * Hot-path reads (`sql.read`) outside a transaction on PostgreSQL go as named statements with bound
 * values: they must answer what the ORM's quoted text answers, for every kind of value the engine binds
 * against a column, and leave writes, transactions and values only the ORM expands to the ORM.
 */
describe('bound reads on PostgreSQL', () => {
  let db: Awaited<ReturnType<typeof openTestDatabase>>;
  beforeAll(async () => {
    db = await openTestDatabase('postgresql');
  });
  afterAll(() => db.close());

  it('answers as the ORM does for strings, numbers, booleans, dates and a literal question mark', async () => {
    const em = db.orm.em.fork();
    await em
      .getConnection()
      .execute(
        "insert into usage_types (code, description, created_by, created_at) values ('pg_one', 'a ? inside', 'test', '2026-01-02T03:04:05.678Z')",
      );
    const text = `select code, description, created_at from usage_types
                   where code = ? and created_at <= ? and (? or code = 'x') and length(code) < ?`;
    const params = ['pg_one', new Date('2026-06-01T00:00:00Z'), true, 7];
    for (let i = 0; i < 3; i++) {
      const bound = await sqlFor(em).read(text, params);
      const viaOrm = await em.getConnection().execute(text, params);
      expect(bound).toHaveLength(1);
      expect(JSON.parse(JSON.stringify(bound))).toEqual(JSON.parse(JSON.stringify(viaOrm)));
      expect(bound[0]).toMatchObject({ code: 'pg_one', description: 'a ? inside' });
    }
    // The ORM would put a value into the quoted question mark; the bound read keeps it a literal.
    const literal = await sqlFor(em).read("select '?' as mark, code from usage_types where code = ?", [
      'pg_one',
    ]);
    expect(literal).toEqual([{ mark: '?', code: 'pg_one' }]);
    expect(await sqlFor(em).read(text, ['pg_one', new Date('2025-01-01T00:00:00Z'), true, 7])).toEqual([]);
    // A value with no column to take its type from comes back as text: why only such reads use this path.
    expect(await sqlFor(em).read('select ? as n', [7])).toEqual([{ n: '7' }]);
    expect(await sqlFor(em).run('select ? as n', [7])).toEqual([{ n: 7 }]);
  });

  it('leaves writes, transactions and spread lists to the ORM', async () => {
    const sql = sqlFor(db.orm.em.fork());
    await sql.read(
      "insert into usage_types (code, description, created_by, created_at) values (?, null, 'test', now())",
      ['pg_two'],
    );
    const inside = await db.orm.em.fork().transactional(async (tem) => {
      await sqlFor(tem).read('delete from usage_types where code = ?', ['pg_two']);
      return sqlFor(tem).read('select code from usage_types where code = ?', ['pg_two']);
    });
    expect(inside).toEqual([]);
    expect(await sql.read('select code from usage_types where code = ?', ['pg_two'])).toEqual([]);
    const listed = await sql.read<{ code: string }>(
      'select code from usage_types where code in (?) order by code',
      [['pg_one', 'pg_two']],
    );
    expect(listed.map((r) => r.code)).toEqual(['pg_one']);
  });
});
