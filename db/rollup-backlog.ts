import type { Sql } from './raw-sql';

/** What the usage rollup has yet to fold and report, for the operators' usage stats. */
export async function rollupBacklog(
  sql: Sql,
): Promise<{ pending_events: number; stripe: number; lago: number; oldest: unknown } | undefined> {
  const backlog = await sql.run<{ pending_events: number; stripe: number; lago: number; oldest: unknown }>(
    `select
       (select count(*) from usage_events where rollup_id is null) as pending_events,
       (select count(*) from usage_rollups where stripe_reported_at is null) as stripe,
       (select count(*) from usage_rollups where lago_reported_at is null) as lago,
       (select min(occurred_at) from usage_events where rollup_id is null) as oldest`,
  );
  return backlog[0];
}

/** One row: the rollup's progress columns as the database returns them. */
interface RollupProgressRow {
  last_rollup: unknown;
  pending: unknown;
  oldest: unknown;
  stripe: unknown;
  lago: unknown;
  oldest_unreported: unknown;
}

/** The rollup's stored progress (last rollup, what waits, since when): how far behind it is. */
export async function rollupProgress(sql: Sql): Promise<RollupProgressRow | undefined> {
  const stored = await sql.run<RollupProgressRow>(
    `select
         (select max(created_at) from usage_rollups) as last_rollup,
         (select count(*) from usage_events where rollup_id is null) as pending,
         (select min(occurred_at) from usage_events where rollup_id is null) as oldest,
         (select count(*) from usage_rollups where stripe_reported_at is null) as stripe,
         (select count(*) from usage_rollups where lago_reported_at is null) as lago,
         (select min(created_at) from usage_rollups
           where stripe_reported_at is null or lago_reported_at is null) as oldest_unreported`,
  );
  return stored[0];
}
