import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { MikroORM, type Options } from '@mikro-orm/core';
import { BetterSqliteDriver } from '@mikro-orm/better-sqlite';
import { PostgreSqlDriver } from '@mikro-orm/postgresql';
import { Migrator } from '@mikro-orm/migrations';
import { ConfigError } from '../config/env';
import { entities } from './entities';
import { closeReaderOf } from './raw-sql';
import { postgresMigrations } from './migrations/postgresql';
import { sqliteMigrations } from './migrations/sqlite';

export type Dialect = 'sqlite' | 'postgresql';

export function dialectOf(databaseUrl: string): Dialect {
  if (databaseUrl.startsWith('sqlite:')) return 'sqlite';
  if (/^postgres(ql)?:\/\//.test(databaseUrl)) return 'postgresql';
  throw new ConfigError(`DATABASE_URL: unsupported scheme in "${databaseUrl.split(':')[0]}:…"`);
}

/** MikroORM options for a DATABASE_URL; migrations are listed statically so bundlers and jest find them. */
export function ormOptions(databaseUrl: string, debug = false, poolMax = DEFAULT_POOL_MAX): Options {
  const dialect = dialectOf(databaseUrl);
  const common = {
    entities,
    debug,
    allowGlobalContext: false,
    forceUtcTimezone: true,
    extensions: [Migrator],
    discovery: { warnWhenNoEntities: true },
  } satisfies Options;
  if (dialect === 'sqlite') {
    const dbName = databaseUrl.slice('sqlite:'.length);
    if (dbName !== ':memory:') mkdirSync(dirname(dbName), { recursive: true });
    return {
      ...common,
      driver: BetterSqliteDriver,
      dbName,
      migrations: {
        migrationsList: sqliteMigrations,
        path: 'db/migrations/sqlite',
        emit: 'ts',
        snapshot: false,
        silent: true,
      },
    };
  }
  return {
    ...common,
    driver: PostgreSqlDriver,
    clientUrl: databaseUrl,
    pool: { min: 0, max: poolMax },
    migrations: {
      migrationsList: postgresMigrations,
      path: 'db/migrations/postgresql',
      emit: 'ts',
      snapshot: false,
      silent: true,
    },
  };
}

/** PostgreSQL connections a process keeps at most, unless DATABASE_POOL_MAX says otherwise. */
export const DEFAULT_POOL_MAX = 10;

/** Connects, applies pending migrations, and tunes SQLite for concurrent readers. */
export async function openDatabase(
  databaseUrl: string,
  opts: { migrate?: boolean; poolMax?: number } = {},
): Promise<MikroORM> {
  let orm: MikroORM;
  try {
    orm = await MikroORM.init(ormOptions(databaseUrl, false, opts.poolMax));
    if (!(await orm.isConnected())) throw new Error('connection check failed');
  } catch (err) {
    const safeUrl = databaseUrl.replace(/\/\/([^:@/]+):[^@/]*@/, '//$1:***@');
    throw new ConfigError(`DATABASE_URL: cannot open ${safeUrl}: ${(err as Error).message}`);
  }
  if (dialectOf(databaseUrl) === 'sqlite') {
    const conn = orm.em.getConnection();
    await conn.execute('PRAGMA journal_mode = WAL');
    // A commit is on disk when it returns: FULL syncs the WAL at every commit. (better-sqlite3 builds
    // SQLite with WAL defaulting to NORMAL, which survives the process being killed but can lose the last
    // commits to a power cut or a kernel crash.) Usage reports share commits (group commit), so this costs
    // one fsync per group, not per request.
    await conn.execute('PRAGMA synchronous = FULL');
    await conn.execute('PRAGMA busy_timeout = 5000');
    await conn.execute('PRAGMA foreign_keys = ON');
    // Revenue queries scan indexes of a few hundred thousand rows: a 64 MiB page cache and memory-mapped
    // reads keep that in memory instead of re-reading pages.
    await conn.execute('PRAGMA cache_size = -65536');
    await conn.execute('PRAGMA mmap_size = 268435456');
    // Statement journals and sorts in memory, not in temporary files created and unlinked each time.
    await conn.execute('PRAGMA temp_store = MEMORY');
    // The query-only connection of the hot reads (raw-sql.ts) goes with the ORM's.
    const close = orm.close.bind(orm);
    orm.close = (force?: boolean) => {
      closeReaderOf(orm.em);
      return close(force);
    };
  }
  if (opts.migrate !== false) await orm.getMigrator().up();
  return orm;
}
