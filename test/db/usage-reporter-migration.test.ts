import { postgresMigrations } from '../../db/migrations/postgresql';
import { sqliteMigrations } from '../../db/migrations/sqlite';
import { sqlFor } from '../../db/raw-sql';
import type { LedgerRow } from '../../services/usage/ledger-transaction';
import { ledgerWriterFor } from '../../services/usage/ledger-group-commit';
import { usageEventKey } from '../../domain/usage-report';
import { openTestDatabase } from '../helpers/db';

const MIGRATIONS = { sqlite: sqliteMigrations, postgresql: postgresMigrations };

/**
 * Who reported the events stored before usage_events had a reporter was never recorded. The migration
 * puts them in the gateway's namespace, so a gateway retrying what it sent before the upgrade is still
 * answered `duplicate` (not billed twice), and leaves every column and the event id leading the new key.
 */
describe.each(['sqlite', 'postgresql'] as const)('the usage event reporter migration (%s)', (dialect) => {
  it("puts the stored events in the gateway's namespace: its retries stay duplicates", async () => {
    const db = await openTestDatabase(dialect, { migrate: false });
    try {
      const list = MIGRATIONS[dialect];
      const at = list.findIndex((m) => m.name.endsWith('_UsageEventReporter'));
      expect(at).toBeGreaterThan(0);
      const migrator = db.orm.getMigrator();
      await migrator.up({ to: list[at - 1]!.name });

      const em = db.orm.em.fork();
      const sql = sqlFor(em);
      const now = new Date();
      await sql.run(
        `insert into customers (id, user_id, email, roles, created_at, updated_at)
         values ('cust_r', 'user-r', 'r@example.com', '[]', ?, ?)`,
        [sql.date(now), sql.date(now)],
      );
      const occurred = new Date('2026-03-01T12:00:00Z');
      for (const [id, quantity, byok, rollup] of [
        ['old-1', 3, false, 'urol_1'],
        ['old-2', 4, true, 'byok'],
      ] as const) {
        await sql.run(
          `insert into usage_events (id, customer_id, event_id, type, quantity, occurred_at, received_at, metadata, byok, rollup_id)
           values (?, 'cust_r', ?, 'inference', ?, ?, ?, '{"k":1}', ?, ?)`,
          [`uev_${id}`, id, quantity, sql.date(occurred), sql.date(now), sql.bool(byok), rollup],
        );
      }

      await migrator.up();

      const rows = await sql.run<Record<string, unknown>>(
        `select id, event_id, reporter, quantity, byok, rollup_id, metadata, occurred_at from usage_events
          where customer_id = 'cust_r' order by id`,
      );
      expect(
        rows.map((r) => ({
          id: r.id,
          event_id: r.event_id,
          reporter: r.reporter,
          quantity: Number(r.quantity),
          byok: r.byok === true || r.byok === 1,
          rollup_id: r.rollup_id,
          metadata: typeof r.metadata === 'string' ? JSON.parse(r.metadata) : r.metadata,
        })),
      ).toEqual([
        {
          id: 'uev_old-1',
          event_id: 'old-1',
          reporter: 'gateway',
          quantity: 3,
          byok: false,
          rollup_id: 'urol_1',
          metadata: { k: 1 },
        },
        {
          id: 'uev_old-2',
          event_id: 'old-2',
          reporter: 'gateway',
          quantity: 4,
          byok: true,
          rollup_id: 'byok',
          metadata: { k: 1 },
        },
      ]);

      const row = (eventId: string, reporter: LedgerRow['reporter']): LedgerRow => ({
        index: 0,
        customerId: 'cust_r',
        eventId,
        reporter,
        type: 'inference',
        quantity: 1,
        metadata: '{}',
        occurredAt: occurred,
        day: '2026-03-01',
        counted: true,
      });
      const writer = ledgerWriterFor(db.orm.em);
      const gatewayRetry = await writer.submit({
        rows: [row('old-1', 'gateway')],
        keys: [row('old-1', 'gateway')].map(usageEventKey),
        limits: new Map(),
        receivedAt: now,
      });
      expect(gatewayRetry.inserted).toEqual([]);
      const ownReport = await writer.submit({
        rows: [row('old-1', 'self')],
        keys: [row('old-1', 'self')].map(usageEventKey),
        limits: new Map(),
        receivedAt: now,
      });
      expect(ownReport.inserted.map((r) => r.reporter)).toEqual(['self']);

      // Every writer names the reporter from now on: a row without one is refused, not put in a namespace.
      // The refusal's message, not jest's rejects.toThrow: better-sqlite3 builds its errors from the class the
      // first suite of a jest worker loaded, an Error of another realm, which toThrow does not take for one.
      const refused = await sql
        .run(
          `insert into usage_events (id, customer_id, event_id, type, quantity, occurred_at, received_at, metadata, byok)
           values ('uev_none', 'cust_r', 'none', 'inference', 1, ?, ?, '{}', ?)`,
          [sql.date(occurred), sql.date(now), sql.bool(false)],
        )
        .then(
          () => 'inserted',
          (err: unknown) => String((err as { message?: unknown }).message),
        );
      expect(refused).toMatch(/null|reporter/i);
    } finally {
      await db.close();
    }
  });
});
