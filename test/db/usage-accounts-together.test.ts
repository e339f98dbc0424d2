import fc from 'fast-check';
import { readUsageAccount, readUsageAccounts } from '../../db/credit-account';
import { addDraws, addGrant, addMovement } from '../../db/credit-ledger';
import { newId } from '../../db/ids';
import { postgresTextArray, sqlFor } from '../../db/raw-sql';
import type { Dialect } from '../../db/orm';
import type { CreditTerms, UsageAccount } from '../../domain/credit-usage';
import { seatWindowKey } from '../../domain/subject-budgets';
import { seedSubscriber } from '../usage/seed-subscriber';
import { openTestDatabase } from '../helpers/db';

const NOW = new Date('2026-03-10T10:00:00.000Z');
const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/** An account as comparable: grants and movements in one order (neither read promises one). */
function comparable(a: UsageAccount | undefined): unknown {
  if (!a) return a;
  const byId = <T extends { id: string }>(xs: readonly T[]) => [...xs].sort((x, y) => (x.id < y.id ? -1 : 1));
  const byGrant = <T extends { grantId: string }>(xs: readonly T[]) =>
    [...xs].sort((x, y) => (x.grantId < y.grantId ? -1 : 1));
  return {
    ...a,
    grants: byId(a.grants),
    movements: byGrant(a.movements),
    seatPool: a.seatPool && { ...a.seatPool, drawn: [...a.seatPool.drawn].sort() },
  };
}

describe('a PostgreSQL array literal of texts', () => {
  let db: Awaited<ReturnType<typeof openTestDatabase>>;
  beforeAll(async () => {
    db = await openTestDatabase('postgresql');
  });
  afterAll(() => db?.close());

  it('comes back from PostgreSQL as exactly the texts it was made of, whatever they hold', async () => {
    const sql = sqlFor(db.orm.em.fork());
    // Quotes, backslashes, commas, braces, blanks, the word NULL, empty texts and any other Unicode
    // (PostgreSQL's text holds no NUL character, so neither does an id).
    const text = fc.string({ unit: 'grapheme', maxLength: 12 }).filter((s) => !s.includes('\u0000'));
    const tricky = fc.constantFrom('', 'NULL', 'null', '"', '\\', '\\"', ',', '{', '}', ' a ', "'", '{"a"}');
    await fc.assert(
      fc.asyncProperty(fc.array(fc.oneof(text, tricky), { minLength: 1, maxLength: 8 }), async (values) => {
        const rows = await sql.run<{ v: string }>(
          `select v from unnest(cast(? as varchar[])) with ordinality as t(v, n) order by n`,
          [postgresTextArray(values)],
        );
        expect(rows.map((r) => r.v)).toEqual(values);
      }),
      { numRuns: 200 },
    );
  });
});

describe.each<Dialect>(['postgresql', 'sqlite'])(
  'the accounts of a usage group read together (%s)',
  (dialect) => {
    let db: Awaited<ReturnType<typeof openTestDatabase>>;
    const customers: string[] = [];
    beforeAll(async () => {
      db = await openTestDatabase(dialect);
      for (let i = 0; i < 4; i++) {
        const { customer } = await seedSubscriber(db.orm, {
          email: `together-${i}@example.test`,
          plan: 'professional',
          periodStart: new Date(NOW.getTime() - 9 * DAY),
        });
        customers.push(customer.id);
      }
    });
    afterAll(() => db?.close());

    const sql = () => sqlFor(db.orm.em.fork());

    /** Clears every customer's ledger, so each run of the property starts from nothing. */
    async function clear(): Promise<void> {
      for (const table of [
        'credit_movements',
        'credit_grants',
        'daily_usage',
        'usage_events',
        'subject_usage',
      ])
        await sql().run(`delete from ${table}`);
    }

    const ledger = fc.record({
      // Days of the period's counters before now, with units of each type.
      days: fc.array(
        fc.record({
          ago: fc.integer({ min: 0, max: 12 }),
          type: fc.constantFrom('inference', 'embedding'),
          n: fc.integer({ min: 1, max: 5000 }),
        }),
        { maxLength: 5 },
      ),
      // Events on the period's first day, before or after the period began, counted or BYOK.
      early: fc.array(
        fc.record({
          minutes: fc.oneof(fc.constantFrom(0, -1, 1), fc.integer({ min: -600, max: 600 })),
          n: fc.integer({ min: 1, max: 900 }),
          byok: fc.boolean(),
          type: fc.constantFrom('inference', 'embedding'),
        }),
        { maxLength: 4 },
      ),
      grants: fc.array(
        fc.record({
          amount: fc.integer({ min: 1, max: 10_000 }),
          from: fc.integer({ min: -48, max: 4 }),
          until: fc.option(fc.integer({ min: -4, max: 48 })),
          drawn: fc.integer({ min: 0, max: 3 }),
          voided: fc.integer({ min: 0, max: 200 }),
        }),
        { maxLength: 3 },
      ),
      seats: fc.array(
        fc.record({ subject: fc.constantFrom('ann', 'bo', 'cy'), units: fc.integer({ min: 1, max: 400 }) }),
        { maxLength: 3 },
      ),
      included: fc.integer({ min: 0, max: 20_000 }),
      // Where the period began: within the last fortnight, at any minute of its day.
      startMinutesAgo: fc.integer({ min: 60, max: 14 * 24 * 60 }),
      unpooled: fc.boolean(),
      seatPool: fc.boolean(),
    });

    type Ledger = typeof ledger extends fc.Arbitrary<infer T> ? T : never;

    async function write(customerId: string, l: Ledger): Promise<CreditTerms> {
      const s = sql();
      const periodStart = new Date(NOW.getTime() - l.startMinutesAgo * 60_000);
      const day = (ago: number) => new Date(NOW.getTime() - ago * DAY).toISOString().slice(0, 10);
      for (const d of l.days)
        await s.run(
          `insert into daily_usage (customer_id, day, type, quantity, byok_quantity) values (?, ?, ?, ?, 0)
           on conflict (customer_id, day, type) do update set quantity = daily_usage.quantity + excluded.quantity`,
          [customerId, day(d.ago), d.type, d.n],
        );
      const midnight = new Date(`${periodStart.toISOString().slice(0, 10)}T00:00:00.000Z`);
      for (const [i, e] of l.early.entries()) {
        const at = new Date(Math.max(midnight.getTime(), periodStart.getTime() + e.minutes * 60_000));
        await s.run(
          `insert into usage_events (id, customer_id, event_id, reporter, type, quantity, occurred_at, received_at, metadata, byok, rollup_id, subject)
           values (?, ?, ?, 'gateway', ?, ?, ?, ?, '{}', ?, null, null)`,
          [newId('uev'), customerId, `early-${i}`, e.type, e.n, s.date(at), s.date(at), s.bool(e.byok)],
        );
      }
      for (const [i, g] of l.grants.entries()) {
        const made = await addGrant(s, {
          customerId,
          amount: g.amount,
          source: 'admin',
          effectiveAt: new Date(NOW.getTime() + g.from * HOUR),
          expiresAt: g.until === null ? null : new Date(NOW.getTime() + g.until * HOUR),
          sourceKey: `${customerId}:grant-${i}`,
        });
        for (let k = 0; k < g.drawn; k++)
          await addDraws(s, [
            {
              customerId,
              periodStart,
              draws: [
                {
                  grantId: made.grant.id,
                  amount: 1 + ((g.amount * (k + 1)) % 97),
                  at: new Date(NOW.getTime() - k * DAY),
                },
              ],
            },
          ]);
        // A movement of another kind stamped with the period, which the engine never writes: both reads
        // must still count only draws.
        if (g.drawn > 0 && g.voided % 2 === 1)
          await s.run(
            `insert into credit_movements (id, customer_id, grant_id, kind, amount, at, period_start, source_key, reason, actor, created_at)
             values (?, ?, ?, 'expiry', 1, ?, ?, ?, null, null, ?)`,
            [
              newId('cmv'),
              customerId,
              made.grant.id,
              s.date(NOW),
              s.date(periodStart),
              `${customerId}:odd-${i}`,
              s.date(NOW),
            ],
          );
        if (g.voided > 0)
          await addMovement(s, {
            customerId,
            grantId: made.grant.id,
            kind: 'void',
            amount: Math.min(g.voided, g.amount),
            at: NOW,
            sourceKey: `${customerId}:void-${i}`,
          });
      }
      for (const seat of l.seats)
        await s.run(
          `insert into subject_usage (customer_id, subject, window_key, units) values (?, ?, ?, ?)
           on conflict (customer_id, subject, window_key) do update set units = subject_usage.units + excluded.units`,
          [customerId, seat.subject, seatWindowKey(periodStart), seat.units],
        );
      return {
        periodStart,
        periodEnd: new Date(periodStart.getTime() + 30 * DAY),
        included: l.included,
        overagePer1kCents: 40,
        cap: null,
        prepaidOnly: false,
        unpooledTypes: l.unpooled ? ['embedding'] : [],
        seatPool: l.seatPool ? { perSeat: 300, seats: 3 } : null,
      };
    }

    it('reads every customer’s account as reading it alone does', async () => {
      await fc.assert(
        fc.asyncProperty(fc.array(ledger, { minLength: 1, maxLength: 4 }), async (ledgers) => {
          await clear();
          const group: { customerId: string; terms: CreditTerms }[] = [];
          for (const [i, l] of ledgers.entries())
            group.push({ customerId: customers[i] as string, terms: await write(customers[i] as string, l) });
          const together = await readUsageAccounts(sql(), group, NOW);
          expect([...together.keys()].sort()).toEqual(group.map((c) => c.customerId).sort());
          for (const c of group) {
            const alone = await readUsageAccount(sql(), c.customerId, c.terms, NOW);
            expect(comparable(together.get(c.customerId))).toEqual(comparable(alone));
          }
        }),
        { numRuns: dialect === 'postgresql' ? 60 : 20 },
      );
    });

    it('reads a customer with no usage, grants or seats as an untouched account', async () => {
      await clear();
      const none: Ledger = {
        days: [],
        early: [],
        grants: [],
        seats: [],
        included: 500,
        startMinutesAgo: 600,
        unpooled: false,
        seatPool: false,
      };
      const terms = await write(customers[0] as string, none);
      const other = await write(customers[1] as string, {
        ...none,
        days: [{ ago: 0, type: 'inference', n: 700 }],
      });
      const read = await readUsageAccounts(
        sql(),
        [
          { customerId: customers[0] as string, terms },
          { customerId: customers[1] as string, terms: other },
        ],
        NOW,
      );
      expect(read.get(customers[0] as string)).toMatchObject({
        includedLeft: 500,
        overageUnits: 0,
        grants: [],
      });
      expect(read.get(customers[1] as string)).toMatchObject({
        includedLeft: 0,
        overageUnits: 200,
        grants: [],
      });
    });
  },
);
