import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { MikroORM } from '@mikro-orm/core';
import { openDatabase, type Dialect } from '../../db/orm';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { createDatabase } = require('../../tools/postgres');

/**
 * A fresh database of the given dialect, migrated unless `migrate: false`; each call gets its own (a file,
 * or a PG database).
 */
export async function openTestDatabase(
  dialect: Dialect = 'sqlite',
  opts: { migrate?: boolean } = {},
): Promise<{ orm: MikroORM; url: string; close(): Promise<void> }> {
  if (dialect === 'sqlite') {
    const dir = mkdtempSync(join(tmpdir(), 'billing-db-'));
    const url = `sqlite:${join(dir, 'billing.sqlite')}`;
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
  const url: string = createDatabase(cluster, `billing_${randomBytes(8).toString('hex')}`);
  const orm = await openDatabase(url, opts);
  return { orm, url, close: () => orm.close() };
}
