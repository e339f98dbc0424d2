import type { EntityManager } from '@mikro-orm/core';
import type { SqlEntityManager } from '@mikro-orm/knex';
import fc from 'fast-check';
import { Charge, Customer, Plan, Subscription } from '../../db/entities';
import type { Dialect } from '../../db/orm';
import { sqlFor } from '../../db/raw-sql';
import { listCharges, listCustomers, listSubscriptions } from '../../services/admin-lists/lists';
import { openTestDatabase } from '../helpers/db';

const T0 = Date.parse('2026-03-10T10:00:00.000Z');

/** Every id of a list, page after page of `limit`, following each page's cursor. */
async function pageThrough(
  list: (cursor: string | undefined) => Promise<{ ids: string[]; next: string | null }>,
): Promise<string[]> {
  const ids: string[] = [];
  let cursor: string | undefined;
  for (let page = 0; page < 500; page++) {
    const { ids: got, next } = await list(cursor);
    ids.push(...got);
    if (!next) return ids;
    cursor = next;
  }
  throw new Error('the cursor never ran out');
}

const customerIds = (r: Awaited<ReturnType<typeof listCustomers>>) => ({
  ids: r.customers.map((c) => c.customerId),
  next: r.nextCursor,
});
const subscriptionIds = (r: Awaited<ReturnType<typeof listSubscriptions>>) => ({
  ids: r.subscriptions.map((s) => s.subscriptionId),
  next: r.nextCursor,
});

type BookRow = { time: number; amount: number; local: string; idKey: number; n: number };

/** A book in which many rows share a creation time or an amount, so pages often end inside a tie. */
const book = fc
  .array(
    fc.record({
      time: fc.integer({ min: 0, max: 3 }),
      amount: fc.constantFrom(1900, 4900),
      // Case, accents, LIKE's wildcards and a NUL-free control character: the database's collation
      // orders them, and a page must continue in that same order.
      local: fc.constantFrom('a', 'A', 'Ä', 'z', '_', '%', 'a\u0007', 'ß'),
      // Ids out of step with the times, so the id decides within a tie.
      idKey: fc.integer({ min: 0, max: 999 }),
    }),
    { minLength: 0, maxLength: 30 },
  )
  .map((rows) => rows.map((r, i) => ({ ...r, n: i })));

async function seedBook(em: EntityManager, rows: BookRow[]) {
  await em.nativeDelete(Charge, {});
  await em.nativeDelete(Subscription, {});
  await em.nativeDelete(Customer, {});
  for (const r of rows) {
    const createdAt = new Date(T0 + r.time * 1000);
    const customer = em.create(Customer, {
      id: `cust_${String(r.idKey).padStart(3, '0')}_${r.n}`,
      userId: `user-${r.n}`,
      email: `${r.local}${r.n}@example.com`,
      createdAt,
    });
    em.create(Subscription, {
      id: `subs_${String(999 - r.idKey).padStart(3, '0')}_${r.n}`,
      customer,
      plan: em.getReference(Plan, 'plan_starter_v1'),
      tier: 'starter',
      status: 'active',
      amountCents: r.amount,
      createdAt,
    });
  }
  await em.flush();
  em.clear();
}

describe.each<Dialect>(['sqlite', 'postgresql'])('admin list pages on %s', (dialect) => {
  let db: Awaited<ReturnType<typeof openTestDatabase>>;
  beforeAll(async () => {
    db = await openTestDatabase(dialect);
  });
  afterAll(() => db?.close());

  it('serve every row once, in the order of one big page, whatever the page size and the ties', async () => {
    await fc.assert(
      fc.asyncProperty(book, fc.integer({ min: 1, max: 6 }), async (rows, limit) => {
        await seedBook(db.orm.em.fork(), rows);
        const em = () => db.orm.em.fork();
        for (const sort of ['-created', 'created', 'email', '-email']) {
          const whole = customerIds(await listCustomers(em(), { limit: 1000, sort }));
          expect(whole.ids).toHaveLength(rows.length);
          const paged = await pageThrough(async (cursor) =>
            customerIds(await listCustomers(em(), { limit, sort, cursor })),
          );
          expect({ sort, ids: paged }).toEqual({ sort, ids: whole.ids });
        }
        for (const sort of ['-created', 'amount', '-amount']) {
          const whole = subscriptionIds(await listSubscriptions(em(), { limit: 1000, sort }));
          expect(whole.ids).toHaveLength(rows.length);
          const paged = await pageThrough(async (cursor) =>
            subscriptionIds(await listSubscriptions(em(), { limit, sort, cursor })),
          );
          expect({ sort, ids: paged }).toEqual({ sort, ids: whole.ids });
        }
      }),
      { numRuns: 25 },
    );
  });

  /**
   * Half-way down a long list the cursor must bound the index scan: as a filter, the database reads
   * every row before the cursor to find the page (tens of milliseconds half-way down 100,000 rows).
   */
  it('start a cursor page inside the sort index, not by filtering the rows before it', async () => {
    const rows: BookRow[] = Array.from({ length: 40 }, (_, n) => ({
      time: n % 7,
      amount: 1900,
      local: 'c',
      idKey: (n * 37) % 1000,
      n,
    }));
    await seedBook(db.orm.em.fork(), rows);
    const seedEm = db.orm.em.fork();
    const subs = await seedEm.find(Subscription, {}, { populate: ['customer'] });
    for (const [i, s] of subs.entries()) {
      seedEm.create(Charge, {
        id: `chg_${i}`,
        stripeChargeId: `ch_${i}`,
        customer: s.customer,
        amountCents: 1900,
        status: 'succeeded',
        createdAt: new Date(T0 + (i % 5) * 1000),
      });
    }
    await seedEm.flush();

    const lists: [
      string,
      string,
      (em: EntityManager, cursor?: string) => Promise<{ nextCursor: string | null }>,
    ][] = [
      ['customers', 'created_at', (em, cursor) => listCustomers(em, { limit: 5, sort: '-created', cursor })],
      ['customers', 'email', (em, cursor) => listCustomers(em, { limit: 5, sort: 'email', cursor })],
      [
        'subscriptions',
        'created_at',
        (em, cursor) => listSubscriptions(em, { limit: 5, sort: '-created', cursor }),
      ],
      [
        'subscriptions',
        'amount_cents',
        (em, cursor) => listSubscriptions(em, { limit: 5, sort: 'amount', cursor }),
      ],
      ['charges', 'created_at', (em, cursor) => listCharges(em, { limit: 5, cursor })],
    ];
    const knex = (db.orm.em as unknown as SqlEntityManager).getKnex();
    for (const [table, column, list] of lists) {
      const { nextCursor: cursor } = await list(db.orm.em.fork());
      expect(cursor).toEqual(expect.any(String));
      const seen: string[] = [];
      const onQuery = (q: { sql: string }) => seen.push(q.sql);
      knex.on('query', onQuery);
      try {
        await list(db.orm.em.fork(), cursor!);
      } finally {
        knex.off('query', onQuery);
      }
      const page = seen.find(
        (sql) => new RegExp(`from ["\`]${table}["\`]`).test(sql) && /order by/i.test(sql),
      );
      expect(page).toBeDefined();
      const plan = await explain(db.orm.em.fork(), page!);
      expect({ table, column, sorted: /TEMP B-TREE|(^|->)\s*Sort\s+\(/m.test(plan) }).toEqual({
        table,
        column,
        sorted: false,
      });
      expect({ table, column, plan }).toEqual({
        table,
        column,
        plan: expect.stringMatching(indexRange(dialect, column)),
      });
    }
  });
});

/**
 * How each database's plan shows an index scan bounded by the cursor. SQLite names the bound: the whole
 * (column, id) row value, or the column alone where its index has no id (a unique email needs none); it
 * can bound an `or` of the two conditions by its column too, but then reads every row of the cursor's
 * own time and, once it has statistics, prefers to scan from the top. PostgreSQL puts the bound in the
 * index condition, and the `or` in a filter.
 */
function indexRange(dialect: Dialect, column: string): RegExp {
  const bound = column === 'email' ? 'email' : `\\(${column},id\\)`;
  return dialect === 'sqlite'
    ? new RegExp(`SEARCH \\S+ USING (COVERING )?INDEX \\S+ \\(${bound}[<>]`)
    : new RegExp(`Index Cond: [^\\n]*\\b${column}\\b[^\\n]*[<>]`);
}

/** The plan as text: SQLite's query plan lines; PostgreSQL's, with sequential scans made as dear as they get. */
async function explain(em: EntityManager, sql: string): Promise<string> {
  const knex = (em as unknown as SqlEntityManager).getKnex();
  if (sqlFor(em).dialect === 'sqlite') {
    const rows = (await knex.raw(`explain query plan ${sql}`)) as { detail: string }[];
    return rows.map((r) => r.detail).join('\n');
  }
  return knex.transaction(async (trx) => {
    // A 40-row table is cheapest to read whole, or to sort; what is asked is whether the page can be read
    // in the index's order from the cursor on, as it is on a large table. (An incremental sort of rows
    // read in the order of the index's first column, as for the email, still reads from the cursor on.)
    await trx.raw('set local enable_seqscan = off');
    await trx.raw('set local enable_bitmapscan = off');
    await trx.raw('set local enable_sort = off');
    const { rows } = (await trx.raw(`explain ${sql}`)) as { rows: { 'QUERY PLAN': string }[] };
    return rows.map((r) => r['QUERY PLAN']).join('\n');
  });
}

describe.each<Dialect>(['sqlite', 'postgresql'])('a forged admin list cursor on %s', (dialect) => {
  let db: Awaited<ReturnType<typeof openTestDatabase>>;
  beforeAll(async () => {
    db = await openTestDatabase(dialect);
  });
  afterAll(() => db?.close());

  const forge = (value: unknown, id: unknown = 'cust_x') =>
    Buffer.from(JSON.stringify([value, id])).toString('base64url');
  const lists: [string, string, unknown[]][] = [
    ['customers', '-created', [1e300, -1e20, 8.64e15 + 1, 1.5, '2026-03-10', null]],
    ['customers', 'email', [12, 'a\u0000b', 'x'.repeat(100_000), '\ud800']],
    ['subscriptions', 'amount', [1e300, 2 ** 53, 0.5, '1900']],
  ];

  it.each(lists)('is refused as invalid_cursor on the %s list sorted by %s', async (list, sort, values) => {
    const read = (cursor: string) =>
      list === 'customers'
        ? listCustomers(db.orm.em.fork(), { limit: 5, sort, cursor })
        : listSubscriptions(db.orm.em.fork(), { limit: 5, sort, cursor });
    const cursors = [...values.map((v) => forge(v)), forge('a', 'cust_\u0000'), forge('a', 7)];
    for (const cursor of cursors) {
      const outcome = await read(cursor).then(
        () => 'served',
        (err: { code?: string }) => err.code ?? String(err),
      );
      expect({ cursor: Buffer.from(cursor, 'base64url').toString().slice(0, 40), outcome }).toEqual({
        cursor: Buffer.from(cursor, 'base64url').toString().slice(0, 40),
        outcome: 'invalid_cursor',
      });
    }
  });
});
