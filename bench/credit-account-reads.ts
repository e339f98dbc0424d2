/**
 * The credit accounts a usage group reads inside its transaction on PostgreSQL, one customer at a time
 * (two statements each) against all of the group's customers together (two statements in all), in the
 * batched transaction the ledger uses (db/postgres-transaction.ts), with nothing else in it. Also an
 * empty transaction, the floor under both. Prints each mode's wall time and this process's CPU a group,
 * alternating modes in one run.
 *
 *   npx tsx bench/credit-account-reads.ts [--group 5] [--rounds 3000] [--repeats 3]
 */
import { parseArgs } from 'node:util';
import { readUsageAccount, readUsageAccounts } from '../db/credit-account';
import { openDatabase } from '../db/orm';
import { inPostgresTransaction } from '../db/postgres-transaction';
import { placeholders, sqlFor, type Sql } from '../db/raw-sql';
import type { CreditTerms } from '../domain/credit-usage';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { startThrowawayCluster, createDatabase } = require('../tools/postgres');

const DAY = 86_400_000;
const CUSTOMERS = 50;

/** Customers with 20 days of counters, 3,000 events each and a prepaid grant, as a busy month has. */
async function seed(sql: Sql, now: Date, periodStart: Date): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < CUSTOMERS; i++) {
    const id = `cust_bench${String(i).padStart(14, '0')}`;
    ids.push(id);
    await sql.run(
      `insert into customers (id, user_id, email, roles, created_at, updated_at) values (?, ?, ?, '[]', ?, ?)`,
      [id, `user-${i}`, `reads-${i}@example.test`, sql.date(now), sql.date(now)],
    );
    for (let d = 0; d < 20; d++)
      await sql.run(
        `insert into daily_usage (customer_id, day, type, quantity, byok_quantity) values (?, ?, 'inference', 100, 0)`,
        [id, new Date(now.getTime() - d * DAY).toISOString().slice(0, 10)],
      );
    const values: unknown[] = [];
    for (let e = 0; e < 3000; e++) {
      const at = sql.date(new Date(now.getTime() - e * 400_000));
      values.push(`uev_${id}_${e}`, id, `e${e}`, 'gateway', 'inference', 1, at, at, '{}', false, null, null);
    }
    await sql.run(
      `insert into usage_events (id, customer_id, event_id, reporter, type, quantity, occurred_at, received_at, metadata, byok, rollup_id, subject)
       values ${placeholders(3000, 12)}`,
      values,
    );
    await sql.run(
      `insert into credit_grants (id, customer_id, amount, source, priority, effective_at, expires_at, source_key, created_at)
       values (?, ?, 100000, 'admin', 0, ?, null, ?, ?)`,
      [`cg_${id}`, id, sql.date(periodStart), `bench:${id}`, sql.date(now)],
    );
  }
  await sql.run('analyze');
  return ids;
}

async function main(): Promise<void> {
  const { values: args } = parseArgs({
    options: {
      group: { type: 'string', default: '5' },
      rounds: { type: 'string', default: '3000' },
      repeats: { type: 'string', default: '3' },
    },
  });
  const size = Number(args.group);
  const rounds = Number(args.rounds);
  const pg = await startThrowawayCluster();
  const orm = await openDatabase(createDatabase(pg.url, 'credit_account_reads'));
  try {
    const now = new Date();
    const periodStart = new Date(now.getTime() - 9 * DAY);
    const ids = await seed(sqlFor(orm.em.fork()), now, periodStart);
    const terms: CreditTerms = {
      periodStart,
      periodEnd: null,
      included: 1000,
      overagePer1kCents: 40,
      cap: null,
      prepaidOnly: false,
      unpooledTypes: [],
      seatPool: null,
    };
    const group = (k: number) =>
      Array.from({ length: size }, (_, j) => ({
        customerId: ids[(k * size + j) % ids.length] as string,
        terms,
      }));
    const modes: Record<string, (sql: Sql, k: number) => Promise<unknown>> = {
      'empty transaction': (sql: Sql) => sql.run('select 1'),
      'one by one': (sql: Sql, k: number) =>
        Promise.all(group(k).map((c) => readUsageAccount(sql, c.customerId, c.terms, now))),
      together: (sql: Sql, k: number) => readUsageAccounts(sql, group(k), now),
    };
    console.log(`PostgreSQL, groups of ${size} customers, ${rounds} groups a mode, modes alternating`);
    for (let r = 0; r < Number(args.repeats); r++)
      for (const [name, work] of Object.entries(modes)) {
        const cpu = process.cpuUsage();
        const start = process.hrtime.bigint();
        for (let k = 0; k < rounds; k++) await inPostgresTransaction(orm.em.fork(), (sql) => work(sql, k));
        const used = process.cpuUsage(cpu);
        const wall = Number(process.hrtime.bigint() - start) / 1000 / rounds;
        const client = (used.user + used.system) / rounds;
        console.log(
          `  ${name.padEnd(18)} ${wall.toFixed(0).padStart(6)} µs a group, ${client.toFixed(0)} µs of this process's CPU`,
        );
      }
  } finally {
    await orm.close();
    pg.stop();
  }
}

void main();
