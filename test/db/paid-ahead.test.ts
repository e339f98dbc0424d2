import { paidAheadInPeriod, seatPaidInPeriod } from '../../db/credit-account';
import { prepaidDrawnSince } from '../../db/credit-ledger';
import type { Dialect } from '../../db/orm';
import { sqlFor } from '../../db/raw-sql';
import { seatWindowKey } from '../../domain/subject-budgets';
import { openTestDatabase } from '../helpers/db';

describe.each<Dialect>(['sqlite', 'postgresql'])(
  'what was paid ahead in a period, read at once (%s)',
  (dialect) => {
    let db: Awaited<ReturnType<typeof openTestDatabase>>;
    beforeAll(async () => {
      db = await openTestDatabase(dialect);
    });
    afterAll(() => db?.close());

    const start = new Date('2026-11-10T08:30:00.000Z');
    const before = new Date('2026-10-10T08:30:00.000Z');
    let seq = 0;

    async function movement(customerId: string, kind: string, amount: number, periodStart: Date | null) {
      const sql = sqlFor(db.orm.em.fork());
      const at = sql.date(new Date('2026-11-12T00:00:00.000Z'));
      await sql.run(
        `insert into credit_movements (id, customer_id, grant_id, kind, amount, at, period_start, created_at)
       values (?, ?, ?, ?, ?, ?, ?, ?)`,
        [
          `mov_${seq++}`,
          customerId,
          'grant_1',
          kind,
          amount,
          at,
          periodStart ? sql.date(periodStart) : null,
          at,
        ],
      );
    }
    async function seat(customerId: string, subject: string, windowKey: string, units: number) {
      await sqlFor(db.orm.em.fork()).run(
        `insert into subject_usage (customer_id, subject, window_key, units) values (?, ?, ?, ?)`,
        [customerId, subject, windowKey, units],
      );
    }

    it("sums this period's draws and seats, and nothing of another period, kind or customer", async () => {
      await movement('cus_a', 'draw', 120, start);
      await movement('cus_a', 'draw', 35, start);
      await movement('cus_a', 'draw', 900, before);
      await movement('cus_a', 'grant', 5_000, start);
      await movement('cus_a', 'void', 40, start);
      await movement('cus_b', 'draw', 777, start);
      await seat('cus_a', 'alice', seatWindowKey(start), 60);
      await seat('cus_a', 'bob', seatWindowKey(start), 7);
      await seat('cus_a', 'alice', seatWindowKey(before), 400);
      await seat('cus_a', 'alice', 'd:2026-11-12', 11);
      await seat('cus_b', 'carol', seatWindowKey(start), 999);

      const sql = sqlFor(db.orm.em.fork());
      const paid = await paidAheadInPeriod(sql, 'cus_a', start);
      expect(paid).toEqual({ prepaid: 155, seatPaid: 67 });
      // The same figures as the two reads it stands for.
      expect(paid).toEqual({
        prepaid: await prepaidDrawnSince(sql, 'cus_a', start),
        seatPaid: await seatPaidInPeriod(sql, 'cus_a', start),
      });
      // The earlier period's draws count from its own start on (both periods began at or after it).
      expect((await paidAheadInPeriod(sql, 'cus_a', before)).prepaid).toBe(1_055);
      expect(await paidAheadInPeriod(sql, 'cus_b', start)).toEqual({ prepaid: 777, seatPaid: 999 });
    });

    it('reads zeros, not nulls, for a customer with nothing paid ahead', async () => {
      expect(await paidAheadInPeriod(sqlFor(db.orm.em.fork()), 'cus_nobody', start)).toEqual({
        prepaid: 0,
        seatPaid: 0,
      });
    });
  },
);
