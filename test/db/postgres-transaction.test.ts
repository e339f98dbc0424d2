import fc from 'fast-check';
import type { MikroORM } from '@mikro-orm/core';
import { openDatabase } from '../../db/orm';
import { inPostgresTransaction } from '../../db/postgres-transaction';
import { sqlFor } from '../../db/raw-sql';
import { openTestDatabase } from '../helpers/db';
import { recordPgMessages } from '../helpers/pg-messages';

/**
 * A PostgreSQL transaction whose statements travel in bursts: one message per burst, BEGIN with the first
 * and COMMIT with the deferred last writes, each statement's rows where it asked for them, and on any
 * failure nothing of the transaction kept.
 */
describe('a PostgreSQL transaction sent in bursts', () => {
  let db: Awaited<ReturnType<typeof openTestDatabase>>;
  let orm: MikroORM;
  let messages: string[];
  let clear: () => void;
  let restore: () => void;

  beforeAll(async () => {
    db = await openTestDatabase('postgresql', { migrate: false });
    orm = db.orm;
    await sqlFor(orm.em.fork()).run('create table burst_t (k text primary key, n integer not null)');
    // Every message the pool's connections receive, as the driver is asked to send it.
    const recorder = recordPgMessages(orm);
    messages = recorder.messages;
    clear = recorder.clear;
    restore = recorder.restore;
  });
  beforeEach(() => clear());
  afterAll(async () => {
    restore?.();
    await db?.close();
  });

  const rows = async () =>
    (await sqlFor(orm.em.fork()).run<{ k: string; n: number }>('select k, n from burst_t order by k')).map(
      (r) => `${r.k}=${r.n}`,
    );

  it('sends each burst as one message, with BEGIN first and COMMIT beside the last writes', async () => {
    const answer = await inPostgresTransaction(orm.em, async (sql, deferred) => {
      const [a, b, c] = await Promise.all([
        sql.run<{ x: number }>('select 1 as x'),
        sql.run('insert into burst_t (k, n) values (?, ?) returning k', ['a;b', 1]),
        sql.run<{ y: string }>('select ? as y;', ["it's; two"]),
      ]);
      deferred(sql.run('update burst_t set n = n + ? where k = ?', [41, 'a;b']));
      return { a, b, c };
    });
    expect(answer).toEqual({ a: [{ x: 1 }], b: [{ k: 'a;b' }], c: [{ y: "it's; two" }] });
    expect(messages).toHaveLength(2);
    expect(messages[0]).toMatch(/^begin;\nselect 1 as x;\ninsert into burst_t/);
    expect(messages[1]).toMatch(/^update burst_t .*;\ncommit$/s);
    expect(await rows()).toEqual(['a;b=42']);
  });

  it('keeps nothing when a statement fails, in the first burst or beside COMMIT', async () => {
    await sqlFor(orm.em.fork()).run('delete from burst_t');
    await expect(
      inPostgresTransaction(orm.em, async (sql) => {
        await Promise.all([
          sql.run('insert into burst_t (k, n) values (?, ?)', ['x', 1]),
          sql.run('insert into burst_t (k, n) values (?, ?)', ['x', 2]),
        ]);
      }),
    ).rejects.toThrow(/duplicate key/);
    await expect(
      inPostgresTransaction(orm.em, async (sql, deferred) => {
        await sql.run('insert into burst_t (k, n) values (?, ?)', ['y', 1]);
        deferred(sql.run('insert into burst_t (k, n) values (?, ?)', ['z', null]));
      }),
    ).rejects.toThrow(/null value/);
    expect(await rows()).toEqual([]);
    // The connection went back clean: the next transaction commits.
    await inPostgresTransaction(orm.em, async (sql) =>
      sql.run('insert into burst_t (k, n) values (?, ?)', ['w', 3]),
    );
    expect(await rows()).toEqual(['w=3']);
  });

  it('refuses a deferred write issued after COMMIT went out, rather than run it outside the transaction', async () => {
    await sqlFor(orm.em.fork()).run('delete from burst_t');
    await expect(
      inPostgresTransaction(orm.em, async (sql, deferred) => {
        deferred(
          (async () => {
            await sql.run('insert into burst_t (k, n) values (?, ?)', ['first', 1]);
            // Issued only once the first write's message (COMMIT with it) has been answered.
            await sql.run('insert into burst_t (k, n) values (?, ?)', ['late', 2]);
          })(),
        );
      }),
    ).rejects.toThrow(/after COMMIT/);
    expect(await rows()).toEqual(['first=1']);
  });

  it('refuses a statement issued after the transaction ended', async () => {
    let late: ((text: string) => Promise<unknown>) | null = null;
    await inPostgresTransaction(orm.em, async (sql) => {
      late = (text) => sql.run(text);
    });
    await expect(late!('select 1')).rejects.toThrow(/ended/);
  });
});

/**
 * Reads in such a transaction (sql.read) are prepared once on each connection and executed after, so
 * PostgreSQL plans them once; whatever happened to an earlier transaction on the connection.
 */
describe('prepared reads in a PostgreSQL transaction sent in bursts', () => {
  let db: Awaited<ReturnType<typeof openTestDatabase>>;
  let orm: MikroORM;
  let messages: string[] = [];
  const READ = 'select k, n from prep_t where k = ? and n >= ?';

  beforeAll(async () => {
    db = await openTestDatabase('postgresql', { migrate: false });
    // One connection: every transaction finds the statements the ones before it prepared (or not).
    orm = await openDatabase(db.url, { migrate: false, poolMax: 1 });
    await sqlFor(orm.em.fork()).run('create table prep_t (k text primary key, n integer not null)');
    messages = recordPgMessages(orm).messages;
  });
  afterAll(async () => {
    await orm?.close();
    await db?.close();
  });

  const prepared = async () =>
    (
      await sqlFor(orm.em.fork()).run<{ name: string }>(
        "select name from pg_prepared_statements where name ~ '^engine_tx_' order by name",
      )
    ).map((r) => r.name);

  it('prepares a read in the burst that first makes it, then only executes it, with the same answers', async () => {
    await sqlFor(orm.em.fork()).run("insert into prep_t (k, n) values ('a', 1), ('b', 2)");
    messages.length = 0;
    const first = await inPostgresTransaction(orm.em, (sql) => sql.read(READ, ['a', 0]));
    const second = await inPostgresTransaction(orm.em, (sql) =>
      Promise.all([sql.read(READ, ['b', 2]), sql.read(READ, ['b', 3])]),
    );
    expect(first).toEqual([{ k: 'a', n: 1 }]);
    expect(second).toEqual([[{ k: 'b', n: 2 }], []]);
    expect(messages[0]).toMatch(
      /^begin;\nset local plan_cache_mode = force_generic_plan;\nprepare engine_tx_\d+ as select k, n from prep_t where k = \$1 and n >= \$2;\nexecute engine_tx_\d+\('a', 0\)/,
    );
    expect(messages.slice(1).join('\n')).not.toMatch(/prepare/);
    expect(await prepared()).toHaveLength(1);
  });

  it('runs its prepared reads on one plan each, for that transaction only', async () => {
    const mode = (sql: { run: <R>(t: string) => Promise<R[]> }) =>
      sql.run<{ plan_cache_mode: string }>('show plan_cache_mode').then((r) => r[0]?.plan_cache_mode);
    // PostgreSQL would plan this one anew at every call: a generic plan of a range over a parameter looks
    // dearer to it than a fresh plan of the value's own.
    const inTransaction = await inPostgresTransaction(orm.em, async (sql) => {
      const before = await mode(sql);
      await sql.read(READ, ['a', 0]);
      return { before, after: await mode(sql) };
    });
    expect(inTransaction).toEqual({ before: 'auto', after: 'force_generic_plan' });
    // The one connection of the pool, after the transaction: as the ORM's own statements find it.
    expect(await mode(sqlFor(orm.em.fork()))).toBe('auto');
    expect(await inPostgresTransaction(orm.em, (sql) => mode(sql))).toBe('auto');
  });

  it('prepares a small write once and executes it after, and sends a large one as text', async () => {
    const WRITE =
      'insert into prep_t (k, n) values (?, ?) on conflict (k) do update set n = excluded.n returning k, n';
    messages.length = 0;
    const first = await inPostgresTransaction(orm.em, (sql) => sql.write(WRITE, ['w1', 1]));
    const again = await inPostgresTransaction(orm.em, (sql) => sql.write(WRITE, ['w1', 2]));
    expect([first, again]).toEqual([[{ k: 'w1', n: 1 }], [{ k: 'w1', n: 2 }]]);
    expect(messages[0]).toMatch(/prepare engine_txw_\d+ as insert into prep_t \(k, n\) values \(\$1, \$2\)/);
    const second = messages.find((m) => m.includes("'w1', 2"));
    expect(second).toMatch(/execute engine_txw_\d+\('w1', 2\)/);
    expect(second).not.toMatch(/prepare/);
    // 300 rows, 600 values: a text whose plan is not worth keeping on every connection.
    const keys = Array.from({ length: 300 }, (_, i) => `big${i}`);
    const big = `insert into prep_t (k, n) values ${keys.map(() => '(?, ?)').join(', ')}`;
    messages.length = 0;
    await inPostgresTransaction(orm.em, (sql) =>
      sql.write(
        big,
        keys.flatMap((k, i) => [k, i]),
      ),
    );
    expect(messages.join('\n')).toMatch(/insert into prep_t \(k, n\) values \('big0', 0\)/);
    expect(messages.join('\n')).not.toMatch(/prepare|execute/);
    const counted = await sqlFor(orm.em.fork()).run<{ n: string }>(
      "select count(*) as n from prep_t where k like 'big%'",
    );
    expect(Number(counted[0]?.n)).toBe(300);
  });

  // Any text PostgreSQL's text type holds (it has no NUL), lone surrogates and control characters included.
  const anyKey = fc.string({ unit: 'binary', maxLength: 40 }).filter((k) => !k.includes('\u0000'));
  const anyNumber = fc.integer({ min: -1000, max: 1000 });

  it('answers each value exactly as stored, whatever text it holds', async () => {
    await fc.assert(
      fc.asyncProperty(anyKey, anyNumber, async (k, n) => {
        await sqlFor(orm.em.fork()).run('delete from prep_t');
        await sqlFor(orm.em.fork()).run('insert into prep_t (k, n) values (?, ?)', [k, n]);
        const found = await inPostgresTransaction(orm.em, (sql) => sql.read(READ, [k, n]));
        expect(found).toEqual([{ k, n }]);
      }),
      { numRuns: 60 },
    );
  });

  it('stores each value exactly as sent through a prepared write, whatever text it holds', async () => {
    const WRITE = 'insert into prep_t (k, n) values (?, ?) on conflict (k) do update set n = excluded.n';
    await fc.assert(
      fc.asyncProperty(anyKey, anyNumber, async (k, n) => {
        await sqlFor(orm.em.fork()).run('delete from prep_t');
        await inPostgresTransaction(orm.em, (sql) => sql.write(WRITE, [k, n]));
        expect(await sqlFor(orm.em.fork()).run('select k, n from prep_t')).toEqual([{ k, n }]);
      }),
      { numRuns: 60 },
    );
  });

  it('knows what a failed transaction left prepared on its connection, and the next one still reads', async () => {
    // Its own rows: the property tests before it leave their last generated row behind (n = 5 among them).
    await sqlFor(orm.em.fork()).run('delete from prep_t');
    // The PREPARE ran, then a statement after it failed: the statement exists, though the transaction did not.
    const another = 'select k from prep_t where n = ?';
    await expect(
      inPostgresTransaction(orm.em, async (sql) => {
        await Promise.all([sql.read(another, [1]), sql.run('select 1 / 0')]);
      }),
    ).rejects.toThrow(/division by zero/);
    expect(await prepared()).toHaveLength(2);
    await expect(inPostgresTransaction(orm.em, (sql) => sql.read(another, [5]))).resolves.toEqual([]);
    // A failure before the PREPARE: it never ran, and the next transaction prepares the read again.
    const third = 'select n from prep_t where k = ?';
    await expect(
      inPostgresTransaction(orm.em, async (sql) => {
        await Promise.all([sql.run('select 1 / 0'), sql.read(third, ['x'])]);
      }),
    ).rejects.toThrow(/division by zero/);
    expect(await prepared()).toHaveLength(2);
    await sqlFor(orm.em.fork()).run("insert into prep_t (k, n) values ('x', 7) on conflict do nothing");
    await expect(inPostgresTransaction(orm.em, (sql) => sql.read(third, ['x']))).resolves.toEqual([{ n: 7 }]);
    expect(await prepared()).toHaveLength(3);
  });
});
