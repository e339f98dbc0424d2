import { sqlFor } from '../../db/raw-sql';
import { markRollupsReported } from '../../db/usage-rollups';
import { activityMeter } from '../activity-context';
import { usageClock, type UsageActivityDeps } from './deps';

/** Marks rollups as reported to one system, now (by the deps' clock). */
export async function markReported(
  deps: UsageActivityDeps,
  column: 'stripe_reported_at' | 'lago_reported_at',
  ids: string[],
): Promise<void> {
  const clock = usageClock(deps);
  if (ids.length === 0) return;
  const em = deps.orm.em.fork();
  const sql = sqlFor(em);
  await markRollupsReported(sql, column, ids, clock.now());
}

/** Counts the units and rollups a report carried, per system. */
export function recordUnitsReported(target: 'stripe' | 'lago', rows: { quantity: unknown }[]): void {
  if (rows.length === 0) return;
  const meter = activityMeter();
  meter
    ?.createCounter('billing_usage_units_reported', undefined, 'Usage units reported for billing, by system.')
    .add(
      rows.reduce((n, r) => n + Number(r.quantity), 0),
      { target },
    );
  meter
    ?.createCounter('billing_usage_rollups_reported', undefined, 'Usage rollups reported, by system.')
    .add(rows.length, { target });
}
