import { openTestDatabase } from '../helpers/db';
import { numberedPlaceholders } from '../../db/postgres-reader';
import { openDatabase } from '../../db/orm';
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

/**
 * Writes whose values all meet a column (`sql.write`) go with their values bound on PostgreSQL outside a
 * transaction: whatever text a caller sends must be stored exactly as sent, never read as SQL, and inside a
 * transaction or with a value only the ORM expands the statement goes through the ORM as before.
 */
describe('bound writes on PostgreSQL', () => {
  let db: Awaited<ReturnType<typeof openTestDatabase>>;
  beforeAll(async () => {
    db = await openTestDatabase('postgresql');
  });
  afterAll(() => db.close());

  const HOSTILE = [
    "it's",
    "'); drop table usage_types; --",
    'a ? b ?? c',
    '$1 $2',
    'back\\slash \\x27',
    'e\u0301 ﬁ 😀 \u202e',
    '"quoted"; select 1',
    ':name :other',
    'x'.repeat(255),
  ];

  it('stores every hostile text exactly as sent, and dates and numbers as they are', async () => {
    const sql = sqlFor(db.orm.em.fork());
    const at = new Date('2026-03-04T05:06:07.089Z');
    const rows = HOSTILE.map((d, i) => [`pgw_${i}`, d, 'test', at]);
    const stored = await sql.write<{ code: string }>(
      `insert into usage_types (code, description, created_by, created_at)
         values ${rows.map(() => '(?, ?, ?, ?)').join(', ')} returning code`,
      rows.flat(),
    );
    expect(stored.map((r) => r.code).sort()).toEqual(rows.map((r) => r[0]).sort());
    const back = await sql.run<{ code: string; description: string; created_at: Date }>(
      "select code, description, created_at from usage_types where code like 'pgw\\_%' order by code",
    );
    expect(new Map(back.map((r) => [r.code, r.description]))).toEqual(new Map(rows.map((r) => [r[0], r[1]])));
    for (const r of back) expect(new Date(r.created_at).toISOString()).toBe(at.toISOString());
    // Bound, not quoted: a question mark inside the statement's own literal stays one.
    expect(
      await sql.write(
        "insert into usage_types (code, description, created_by, created_at) values (?, 'what ?', ?, ?) returning description",
        ['pgw_literal', 'test', at],
      ),
    ).toEqual([{ description: 'what ?' }]);
    expect(await sql.run("select count(*)::int as n from usage_types where code = 'pg_sentinel'")).toEqual([
      { n: 0 },
    ]);
  });

  it('leaves transactions and spread lists to the ORM, which answers the same', async () => {
    const em = db.orm.em.fork();
    const inside = await em.transactional(async (tem) => {
      await sqlFor(tem).write(
        "insert into usage_types (code, description, created_by, created_at) values (?, ?, 'test', now()), (?, null, 'test', now())",
        ['pgw_tx', "it's in", 'pgw_tx2'],
      );
      return sqlFor(tem).read<{ description: string }>('select description from usage_types where code = ?', [
        'pgw_tx',
      ]);
    });
    expect(inside).toEqual([{ description: "it's in" }]);
    const deleted = await sqlFor(em).write<{ code: string }>(
      'delete from usage_types where code in (?) returning code',
      [['pgw_tx', 'pgw_tx2']],
    );
    expect(deleted.map((r) => r.code).sort()).toEqual(['pgw_tx', 'pgw_tx2']);
  });

  it('names the first texts it writes, prepared once a connection, and sends the rest unnamed', async () => {
    // One connection: what it has prepared is what the pool has.
    const orm = await openDatabase(db.url, { migrate: false, poolMax: 1 });
    try {
      const sql = sqlFor(orm.em.fork());
      const prepared = async () =>
        (
          await sql.run<{ n: number }>(
            "select count(*)::int as n from pg_prepared_statements where name like 'engine_write_%'",
          )
        )[0]?.n;
      const insert = (codes: string[]) =>
        sql.write<{ code: string }>(
          `insert into usage_types (code, description, created_by, created_at)
             values ${codes.map(() => "(?, ?, 'test', now())").join(', ')} returning code`,
          codes.flatMap((c) => [c, `${c}'s`]),
        );
      for (const i of [1, 2, 3]) await insert([`pgn_same_${i}`]);
      expect(await prepared()).toBe(1);
      // Sixty texts (one to sixty rows): the first ones named, the rest sent unnamed, every row stored.
      const written: string[] = [];
      for (let rows = 1; rows <= 60; rows++) {
        const codes = Array.from({ length: rows }, (_, i) => `pgn_${rows}_${i}`);
        written.push(...(await insert(codes)).map((r) => r.code));
      }
      expect(await prepared()).toBe(48);
      expect(written).toHaveLength((60 * 61) / 2);
      const back = await sql.run<{ n: number }>(
        "select count(*)::int as n from usage_types where code like 'pgn\\_%' and description = code || '''s'",
      );
      expect(back).toEqual([{ n: 3 + (60 * 61) / 2 }]);
    } finally {
      await orm.close();
    }
  });
});
