/**
 * The floor under a 1,000-event report: what storing the batch costs the API's process alone, with no HTTP,
 * validation or decision around it. `bench:usage` puts a 1,000-event request at ~40–55 µs of API CPU an
 * event on the 2-core machine against a goal of 15; this says how much of that the database step is.
 *
 *   npx tsx bench/usage-floor.ts [--rounds 40] [--dialect sqlite,postgresql]
 *
 * Each round writes a group of one 1,000-event report for 50 customers through the engine's own ledger
 * code, as the API's group commit does: on SQLite `ledgerGroupJob` in the writer thread the API runs it in
 * (db/sqlite-writer.ts: prepared statements, WAL and synchronous=FULL, so each commit is fsynced); on
 * PostgreSQL `writeUncappedGroup`, the one statement an uncapped group is (the server's own CPU is not
 * counted: it is not the API's). Figures: this process's CPU (user + system, every thread) per event, min /
 * median / max over the rounds, beside the wall time.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { newId } from '../db/ids';
import { openDatabase } from '../db/orm';
import { sqlFor } from '../db/raw-sql';
import { SqliteWriter } from '../db/sqlite-writer';
import { usageEventKey, type UsageEntry } from '../domain/usage-report';
import { writeUncappedGroup, type LedgerWrite } from '../services/usage/ledger-transaction';
import { seedSubscriber } from '../test/usage/seed-subscriber';
import { spread } from './load';

const EVENTS = 1000;
const CUSTOMERS = 50;

function batch(customers: string[], now: Date): LedgerWrite {
  const day = now.toISOString().slice(0, 10);
  const rows: UsageEntry[] = Array.from({ length: EVENTS }, (_, index) => ({
    index,
    customerId: customers[index % customers.length] as string,
    eventId: newId('gw'),
    reporter: 'gateway',
    type: 'api_calls',
    quantity: 1,
    metadata: '{"model":"small"}',
    occurredAt: now,
    day,
    counted: true,
  }));
  return {
    rows,
    keys: rows.map(usageEventKey),
    limits: new Map(),
    receivedAt: now,
  };
}

async function measure(dialect: 'sqlite' | 'postgresql', rounds: number): Promise<void> {
  let stop: () => void = () => {};
  let url: string;
  if (dialect === 'sqlite') {
    const dir = mkdtempSync(join(tmpdir(), 'bench-floor-'));
    url = `sqlite:${join(dir, 'billing.sqlite')}`;
    stop = () => rmSync(dir, { recursive: true, force: true });
  } else {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { startThrowawayCluster, createDatabase } = require('../tools/postgres');
    const pg = await startThrowawayCluster({ durable: true });
    stop = pg.stop;
    url = createDatabase(pg.url, 'bench_floor');
  }
  const orm = await openDatabase(url);
  try {
    const customers: string[] = [];
    for (let c = 0; c < CUSTOMERS; c++) {
      const { customer } = await seedSubscriber(orm, {
        email: `floor-${c}@bench.local`,
        plan: 'enterprise',
        periodStart: new Date(Date.now() - 86_400_000),
      });
      customers.push(customer.id);
    }
    const file = orm.config.get('dbName') ?? '';
    const writer =
      dialect === 'sqlite'
        ? new SqliteWriter<LedgerWrite[], unknown>(file, {
            module: require.resolve('../services/usage/ledger-transaction'),
            name: 'ledgerGroupJob',
          })
        : null;
    const cpu: number[] = [];
    const wall: number[] = [];
    // Two rounds to warm up (statement caches, the JIT), then the measured ones.
    for (let r = -2; r < rounds; r++) {
      const write = batch(customers, new Date());
      const em = orm.em.fork();
      const c0 = process.cpuUsage();
      const t0 = performance.now();
      if (writer) await writer.run([write]);
      else await writeUncappedGroup(sqlFor(em), [write]);
      const c = process.cpuUsage(c0);
      if (r < 0) continue;
      cpu.push((c.user + c.system) / EVENTS);
      wall.push(((performance.now() - t0) * 1000) / EVENTS);
    }
    await writer?.close();
    console.log(
      `  ${dialect.padEnd(10)} CPU ${spread(cpu, 1)} µs/event   wall ${spread(wall, 1)} µs/event   (${rounds} groups of ${EVENTS})`,
    );
  } finally {
    await orm.close();
    stop();
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      rounds: { type: 'string', default: '40' },
      dialect: { type: 'string', default: 'sqlite,postgresql' },
    },
  });
  console.log(
    `usage floor: storing one 1,000-event report, the engine's ledger code alone, min / median / max — ${new Date().toISOString().slice(0, 10)}`,
  );
  for (const d of values.dialect.split(','))
    await measure(d as 'sqlite' | 'postgresql', Number(values.rounds));
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
