import { postgresMigrations } from '../../db/migrations/postgresql';
import { sqliteMigrations } from '../../db/migrations/sqlite';
import { sqlFor } from '../../db/raw-sql';
import { openTestDatabase } from '../helpers/db';

const MIGRATIONS = { sqlite: sqliteMigrations, postgresql: postgresMigrations };

/**
 * The migration that gives daily_usage its `forgiven` and `byok_quantity` columns rebuilds the counters
 * from the stored events of a database that already has some: the usage view reads them from then on, so
 * units an operator's reset had deleted must come back (counted, and forgiven for the quota) and BYOK
 * units must be there, while a day nobody reset keeps its quota figure.
 */
describe.each(['sqlite', 'postgresql'] as const)('the daily usage totals migration (%s)', (dialect) => {
  it('rebuilds the counters from the stored events, keeping what the quota saw', async () => {
    const db = await openTestDatabase(dialect, { migrate: false });
    try {
      const list = MIGRATIONS[dialect];
      const at = list.findIndex((m) => m.name.endsWith('_DailyUsageTotals'));
      expect(at).toBeGreaterThan(0);
      const migrator = db.orm.getMigrator();
      await migrator.up({ to: list[at - 1]!.name });

      const em = db.orm.em.fork();
      const sql = sqlFor(em);
      const now = sql.date(new Date());
      await sql.run(
        `insert into customers (id, user_id, email, roles, created_at, updated_at)
         values ('cust_m', 'user-m', 'm@example.com', '[]', ?, ?)`,
        [now, now],
      );
      const event = (id: string, day: string, type: string, quantity: number, byok: boolean) =>
        sql.run(
          `insert into usage_events (id, customer_id, event_id, type, quantity, occurred_at, received_at, metadata, byok)
           values (?, 'cust_m', ?, ?, ?, ?, ?, '{}', ?)`,
          [`uev_${id}`, id, type, quantity, sql.date(new Date(`${day}T12:00:00Z`)), now, sql.bool(byok)],
        );
      // 2026-03-01: counted as stored. 2026-03-02: reset after 40 units, then 5 more (the counter holds
      // 5). 2026-03-03: reset with nothing after it (the row is gone). BYOK units on the first two days.
      await event('a', '2026-03-01', 'inference', 30, false);
      await event('b', '2026-03-01', 'inference', 7, true);
      await event('c', '2026-03-02', 'inference', 40, false);
      await event('d', '2026-03-02', 'inference', 5, false);
      await event('e', '2026-03-02', 'embedding', 9, true);
      await event('f', '2026-03-03', 'tts', 12, false);
      await sql.run(
        `insert into daily_usage (customer_id, day, type, quantity) values
           ('cust_m', '2026-03-01', 'inference', 30), ('cust_m', '2026-03-02', 'inference', 5)`,
      );

      await migrator.up();

      const rows = await sql.run<Record<string, unknown>>(
        `select day, type, quantity, forgiven, byok_quantity from daily_usage
          where customer_id = 'cust_m' order by day, type`,
      );
      expect(
        rows.map((r) => ({
          day: r.day,
          type: r.type,
          quantity: Number(r.quantity),
          forgiven: Number(r.forgiven),
          byok: Number(r.byok_quantity),
          quota: Number(r.quantity) - Number(r.forgiven),
        })),
      ).toEqual([
        { day: '2026-03-01', type: 'inference', quantity: 30, forgiven: 0, byok: 7, quota: 30 },
        { day: '2026-03-02', type: 'embedding', quantity: 0, forgiven: 0, byok: 9, quota: 0 },
        { day: '2026-03-02', type: 'inference', quantity: 45, forgiven: 40, byok: 0, quota: 5 },
        { day: '2026-03-03', type: 'tts', quantity: 12, forgiven: 12, byok: 0, quota: 0 },
      ]);
    } finally {
      await db.close();
    }
  });
});
