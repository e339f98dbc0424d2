import { randomBytes } from 'node:crypto';
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { MikroORM } from '@mikro-orm/core';
import { openDatabase, type Dialect } from '../../db/orm';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { createDatabase } = require('../../tools/postgres');

/**
 * A fresh database of the given dialect, migrated unless `migrate: false`; each call gets its own (a file,
 * or a PG database). A migrated one starts as a copy of the run's migrated template (`migratedTemplates`,
 * made once by the global setup), then migrates as any database does: a copy costs a sixth of running every
 * migration on PostgreSQL, and a migration the template lacks still runs.
 */
export async function openTestDatabase(
  dialect: Dialect = 'sqlite',
  opts: { migrate?: boolean } = {},
): Promise<{ orm: MikroORM; url: string; close(): Promise<void> }> {
  const template = opts.migrate === false ? undefined : templateOf(dialect);
  if (dialect === 'sqlite') {
    const dir = mkdtempSync(join(tmpdir(), 'billing-db-'));
    const file = join(dir, 'billing.sqlite');
    if (template) copyFileSync(template, file);
    const url = `sqlite:${file}`;
    const orm = await openDatabase(url, opts);
    return {
      orm,
      url,
      close: async () => {
        await orm.close();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  }
  const cluster = process.env.TEST_POSTGRES_URL;
  if (!cluster) throw new Error('TEST_POSTGRES_URL is not set: jest global setup starts PostgreSQL');
  // Random, not pid and a counter: jest loads this module afresh for every suite in a worker, so the counter
  // starts at 1 again in the same process, and two suites' names collided in CI.
  const url: string = createDatabase(cluster, `billing_${randomBytes(8).toString('hex')}`, template);
  const orm = await openDatabase(url, opts);
  return { orm, url, close: () => orm.close() };
}

const TEMPLATE_ENV = { sqlite: 'TEST_SQLITE_TEMPLATE', postgresql: 'TEST_POSTGRES_TEMPLATE' } as const;

const templateOf = (dialect: Dialect): string | undefined => process.env[TEMPLATE_ENV[dialect]];

/**
 * Once per run, before the suites: a migrated database of each dialect for `openTestDatabase` to copy (a
 * SQLite file in `dir`, a database in the run's PostgreSQL cluster), named in the environment the test
 * workers inherit.
 */
export async function migratedTemplates(postgresCluster: string, dir: string): Promise<void> {
  const file = join(dir, 'template.sqlite');
  const pgName = 'billing_template';
  // Closed before anyone copies them: SQLite's WAL is folded into the file, and PostgreSQL copies no
  // database that has a session.
  await Promise.all(
    [`sqlite:${file}`, createDatabase(postgresCluster, pgName)].map(async (url: string) =>
      (await openDatabase(url)).close(),
    ),
  );
  process.env[TEMPLATE_ENV.sqlite] = file;
  process.env[TEMPLATE_ENV.postgresql] = pgName;
}
