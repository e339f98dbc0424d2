import type { MikroORM } from '@mikro-orm/core';
import type { SqlEntityManager } from '@mikro-orm/knex';

/**
 * Records every message the ORM pool's connections are asked to send, as text, from connections acquired
 * from now on (a transaction sent in bursts, db/postgres-transaction.ts, acquires its own). `restore` stops
 * wrapping new acquisitions; `clear` empties the list.
 */
export function recordPgMessages(orm: MikroORM): { messages: string[]; clear(): void; restore(): void } {
  const messages: string[] = [];
  const pool = (orm.em as unknown as SqlEntityManager).getKnex().client as unknown as {
    acquireConnection(): Promise<{ query: (...a: unknown[]) => unknown; spied?: boolean }>;
  };
  const acquire = pool.acquireConnection.bind(pool);
  pool.acquireConnection = async () => {
    const conn = await acquire();
    if (!conn.spied) {
      conn.spied = true;
      const query = conn.query.bind(conn);
      conn.query = (q: unknown, ...rest: unknown[]) => {
        if (typeof q === 'string') messages.push(q);
        return query(q, ...rest);
      };
    }
    return conn;
  };
  return {
    messages,
    clear: () => void messages.splice(0),
    restore: () => {
      pool.acquireConnection = acquire;
    },
  };
}
