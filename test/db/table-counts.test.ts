import type { EntityManager } from '@mikro-orm/core';
import fc from 'fast-check';
import { Charge, Customer, Plan, Subscription } from '../../db/entities';
import { postgresMigrations } from '../../db/migrations/postgresql';
import { COUNTED_TABLES } from '../../db/migrations/shared/counted-tables';
import { sqliteMigrations } from '../../db/migrations/sqlite';
import type { Dialect } from '../../db/orm';
import { sqlFor } from '../../db/raw-sql';
import { listCharges, listCustomers, listSubscriptions } from '../../services/admin-lists/lists';
import { openTestDatabase } from '../helpers/db';

/** What table_counts holds, and what counting each table finds. */
async function keptAndCounted(em: EntityManager) {
  const sql = sqlFor(em);
  const kept = await sql.run<{ table_name: string; row_count: number | string }>(
    'select table_name, sum(row_count) as row_count from table_counts group by table_name order by table_name',
  );
  const counted: { table_name: string; row_count: number }[] = [];
  for (const table of [...COUNTED_TABLES].sort()) {
    const [row] = await sql.run<{ n: number | string }>(`select count(*) as n from ${table}`);
    counted.push({ table_name: table, row_count: Number(row!.n) });
  }
  return { kept: kept.map((k) => ({ ...k, row_count: Number(k.row_count) })), counted };
}

type Step =
  | { op: 'customers'; n: number; withSubscription: boolean; withCharge: boolean }
  | { op: 'charge again'; pick: number }
  | { op: 'delete'; pick: number }
  | { op: 'rolled back'; n: number };

const step: fc.Arbitrary<Step> = fc.oneof(
  fc.record({
    op: fc.constant('customers' as const),
    n: fc.integer({ min: 1, max: 4 }),
    withSubscription: fc.boolean(),
    withCharge: fc.boolean(),
  }),
  fc.record({ op: fc.constant('charge again' as const), pick: fc.nat() }),
  fc.record({ op: fc.constant('delete' as const), pick: fc.nat() }),
  fc.record({ op: fc.constant('rolled back' as const), n: fc.integer({ min: 1, max: 3 }) }),
);

describe.each<Dialect>(['sqlite', 'postgresql'])('table counts on %s', (dialect) => {
  let db: Awaited<ReturnType<typeof openTestDatabase>>;
  let serial = 0;
  beforeAll(async () => {
    db = await openTestDatabase(dialect);
  });
  afterAll(() => db?.close());

  function addCustomers(
    em: EntityManager,
    n: number,
    opts: { withSubscription: boolean; withCharge: boolean },
  ) {
    for (let i = 0; i < n; i++) {
      const tag = `${dialect}-${++serial}`;
      const customer = em.create(Customer, {
        id: `cust_${tag}`,
        userId: `user-${tag}`,
        email: `${tag}@example.com`,
      });
      if (opts.withSubscription) {
        em.create(Subscription, {
          id: `subs_${tag}`,
          customer,
          plan: em.getReference(Plan, 'plan_starter_v1'),
          tier: 'starter',
          amountCents: 1900,
        });
      }
      if (opts.withCharge) {
        em.create(Charge, {
          id: `chg_${tag}`,
          stripeChargeId: `ch_${tag}`,
          customer,
          amountCents: 1900,
          status: 'succeeded',
          createdAt: new Date(),
        });
      }
    }
  }

  async function apply(s: Step) {
    const em = db.orm.em.fork();
    const sql = sqlFor(em);
    if (s.op === 'customers') {
      addCustomers(em, s.n, s);
      await em.flush();
    } else if (s.op === 'charge again') {
      // An upsert that meets a charge already stored inserts nothing, and counts nothing.
      const charges = await sql.run<{ stripe_charge_id: string; customer_id: string }>(
        'select stripe_charge_id, customer_id from charges order by id',
      );
      const again = charges[s.pick % Math.max(charges.length, 1)];
      if (!again) return;
      await sql.run(
        `insert into charges (id, stripe_charge_id, customer_id, amount_cents, amount_refunded_cents, currency, status, paid, refunded, disputed_amount_cents, created_at)
         values (?, ?, ?, 1900, 0, 'usd', 'succeeded', ?, ?, 0, ?) on conflict (stripe_charge_id) do nothing`,
        [
          `chg_again_${++serial}`,
          again.stripe_charge_id,
          again.customer_id,
          sql.bool(true),
          sql.bool(false),
          sql.date(new Date()),
        ],
      );
    } else if (s.op === 'delete') {
      // A customer goes with its subscriptions and charges, in one statement each.
      const customers = await sql.run<{ id: string }>('select id from customers order by id');
      const gone = customers[s.pick % Math.max(customers.length, 1)];
      if (!gone) return;
      await em.transactional(async (trx) => {
        await trx.nativeDelete(Charge, { customer: gone.id });
        await trx.nativeDelete(Subscription, { customer: gone.id });
        await trx.nativeDelete(Customer, { id: gone.id });
      });
    } else {
      await expect(
        em.transactional(async (trx) => {
          addCustomers(trx, s.n, { withSubscription: true, withCharge: true });
          await trx.flush();
          throw new Error('changed its mind');
        }),
      ).rejects.toThrow('changed its mind');
    }
  }

  it('equal a count of each table after any inserts, repeated upserts, deletes and rollbacks', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 8 }), async (steps) => {
        for (const s of steps) await apply(s);
        const { kept, counted } = await keptAndCounted(db.orm.em.fork());
        expect(kept).toEqual(counted);
        // And the unfiltered admin lists answer them as their totals.
        const em = () => db.orm.em.fork();
        const totals = {
          charges: (await listCharges(em(), { limit: 1 })).total,
          customers: (await listCustomers(em(), { limit: 1, sort: '-created' })).total,
          subscriptions: (await listSubscriptions(em(), { limit: 1, sort: '-created' })).total,
        };
        expect(totals).toEqual(Object.fromEntries(counted.map((c) => [c.table_name, c.row_count])));
      }),
      { numRuns: 20 },
    );
  });

  it('stay exact when many writers insert at once', async () => {
    await Promise.all(
      Array.from({ length: 12 }, async () => {
        const em = db.orm.em.fork();
        addCustomers(em, 3, { withSubscription: true, withCharge: true });
        await em.flush();
      }),
    );
    const { kept, counted } = await keptAndCounted(db.orm.em.fork());
    expect(kept).toEqual(counted);
  });

  it('leave a filtered list to count its matches', async () => {
    const em = db.orm.em.fork();
    addCustomers(em, 2, { withSubscription: false, withCharge: true });
    await em.flush();
    const failed = await em.findOneOrFail(Charge, { stripeChargeId: `ch_${dialect}-${serial}` });
    failed.status = 'failed';
    await em.flush();
    const count = async (where: string) =>
      Number(
        (await sqlFor(em).run<{ n: number | string }>(`select count(*) as n from charges ${where}`))[0]!.n,
      );
    const totals = {
      all: (await listCharges(db.orm.em.fork(), { limit: 1 })).total,
      failed: (await listCharges(db.orm.em.fork(), { limit: 1, status: 'failed' })).total,
      succeeded: (await listCharges(db.orm.em.fork(), { limit: 1, status: 'succeeded' })).total,
    };
    expect(totals).toEqual({
      all: await count(''),
      failed: await count("where status = 'failed'"),
      succeeded: await count("where status = 'succeeded'"),
    });
    expect(totals.failed).toBeGreaterThan(0);
    expect(totals.succeeded).toBeLessThan(totals.all);
  });
});

describe.each<Dialect>(['sqlite', 'postgresql'])('the table counts migration on %s', (dialect) => {
  it('starts each count at the rows a database already holds', async () => {
    const db = await openTestDatabase(dialect, { migrate: false });
    try {
      const list = { sqlite: sqliteMigrations, postgresql: postgresMigrations }[dialect];
      const at = list.findIndex((m) => m.name.endsWith('_TableCounts'));
      expect(at).toBeGreaterThan(0);
      const migrator = db.orm.getMigrator();
      await migrator.up({ to: list[at - 1]!.name });
      const em = db.orm.em.fork();
      const sql = sqlFor(em);
      for (const n of [1, 2, 3]) {
        // Written as the schema of that time has it: the entities of today have columns it did not.
        const now = sql.date(new Date());
        await sql.run(
          `insert into customers (id, user_id, email, roles, created_at, updated_at) values (?, ?, ?, '[]', ?, ?)`,
          [`cust_old${n}`, `old-${n}`, `old${n}@example.com`, now, now],
        );
        if (n > 1) {
          await sql.run(
            `insert into subscriptions (id, customer_id, plan_id, tier, status, interval, amount_cents, currency,
               cancel_at_period_end, arr_cents, created_at, updated_at)
             values (?, ?, 'plan_starter_v1', 'starter', 'incomplete', 'month', 1900, 'usd', false, 0, ?, ?)`,
            [`subs_old${n}`, `cust_old${n}`, now, now],
          );
        }
      }
      await migrator.up();
      const { kept, counted } = await keptAndCounted(db.orm.em.fork());
      expect(kept).toEqual(counted);
      expect(counted.map((c) => c.row_count)).toEqual([0, 3, 2]);
    } finally {
      await db.close();
    }
  });
});
