import type { EntityManager } from '@mikro-orm/core';
import { addQuotaDenials, quotaDenialsSince } from '../../db/quota-denial-counts';
import { num } from '../../db/raw-sql';
import { quotaDenials } from '../../telemetry/api-metrics';

const DAY_MS = 86_400_000;

/** What this process's counter held at its last write, per plan and site: denials above it are new. */
const written = new Map<string, number>();
let writing: Promise<void> = Promise.resolve();

/**
 * Adds this process's quota denials since the last call to today's rows of `quota_denials`. The telemetry
 * counter the handlers already increment is the one count, so a denial costs no write on the hot path;
 * the API calls this every few seconds and before reading. Calls run one after another, so a denial is
 * never added twice.
 */
export function storeQuotaDenials(em: EntityManager, now: Date): Promise<void> {
  const run = writing.then(async () => {
    const { values } = await quotaDenials.get();
    const day = now.toISOString().slice(0, 10);
    for (const v of values) {
      const plan = String(v.labels.plan ?? 'unknown').slice(0, 64);
      const site = String(v.labels.where ?? 'unknown').slice(0, 16);
      const key = `${plan}\u0000${site}`;
      // A counter that went down was reset (a registry reset in tests): all it holds is new.
      const before = written.get(key) ?? 0;
      const added = v.value >= before ? v.value - before : v.value;
      if (added <= 0) continue;
      await addQuotaDenials(em, day, plan, site, added);
      written.set(key, v.value);
    }
  });
  // A failed write leaves its denials to the next call; the chain goes on.
  writing = run.catch(() => undefined);
  return run;
}

/** Quota denials per UTC day over the last `days` days (quiet days as zero), by where they happened and plan. */
export async function quotaDenialsByDay(em: EntityManager, q: { days: number; now: Date }) {
  await storeQuotaDenials(em, q.now);
  const today = Date.parse(`${q.now.toISOString().slice(0, 10)}T00:00:00Z`);
  const since = new Date(today - (q.days - 1) * DAY_MS).toISOString().slice(0, 10);
  const rows = await quotaDenialsSince(em, since);
  const perDay = new Map<string, { report: number; checkAccess: number }>();
  const byPlan: Record<string, number> = {};
  for (let t = Date.parse(`${since}T00:00:00Z`); t <= today; t += DAY_MS) {
    perDay.set(new Date(t).toISOString().slice(0, 10), { report: 0, checkAccess: 0 });
  }
  for (const r of rows) {
    const d = perDay.get(r.day);
    if (!d) continue;
    if (r.site === 'report') d.report += num(r.n);
    else if (r.site === 'check_access') d.checkAccess += num(r.n);
    byPlan[r.plan] = (byPlan[r.plan] ?? 0) + num(r.n);
  }
  const days = [...perDay].map(([day, d]) => ({ day, ...d, total: d.report + d.checkAccess }));
  return {
    since,
    days,
    total: days.reduce((a, d) => a + d.total, 0),
    byPlan,
  };
}
