import type { MikroORM } from '@mikro-orm/core';
import type { SqlEntityManager } from '@mikro-orm/knex';
import { inPostgresTransaction } from '../../db/postgres-transaction';
import { sqlFor } from '../../db/raw-sql';
import { openTestDatabase } from '../helpers/db';

/**
 * A PostgreSQL transaction whose statements travel in bursts: one message per burst, BEGIN with the first
 * and COMMIT with the deferred last writes, each statement's rows where it asked for them, and on any
 * failure nothing of the transaction kept.
 */
describe('a PostgreSQL transaction sent in bursts', () => {
  let db: Awaited<ReturnType<typeof openTestDatabase>>;
  let orm: MikroORM;
  let messages: string[];
  let restore: () => void;

  beforeAll(async () => {
    db = await openTestDatabase('postgresql', { migrate: false });
    orm = db.orm;
    await sqlFor(orm.em.fork()).run('create table burst_t (k text primary key, n integer not null)');
    // Every message the pool's connections receive, as the driver is asked to send it.
    const pool = (orm.em as unknown as SqlEntityManager).getKnex().client as unknown as {
      acquireConnection(): Promise<{ query: (...a: unknown[]) => unknown }>;
    };
    const acquire = pool.acquireConnection.bind(pool);
    pool.acquireConnection = async () => {
      const conn = await acquire();
      const query = conn.query.bind(conn);
      if (!(conn as { spied?: boolean }).spied) {
        (conn as { spied?: boolean }).spied = true;
        conn.query = (q: unknown, ...rest: unknown[]) => {
          if (typeof q === 'string') messages.push(q);
          return query(q, ...rest);
        };
      }
      return conn;
    };
    restore = () => {
      pool.acquireConnection = acquire;
    };
  });
  beforeEach(() => {
    messages = [];
  });
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

  it('refuses a statement issued after the transaction ended', async () => {
    let late: ((text: string) => Promise<unknown>) | null = null;
    await inPostgresTransaction(orm.em, async (sql) => {
      late = (text) => sql.run(text);
    });
    await expect(late!('select 1')).rejects.toThrow(/ended/);
  });
});
