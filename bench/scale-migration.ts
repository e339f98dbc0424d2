/**
 * Part 5 of `npm run bench:scale -- --migration`: a price change on the whole book. With N subscriptions
 * live on Starter (part 2), an admin publishes a new version of Starter through the API (the catalog sync
 * gives it its Stripe prices), rehearses moving every subscriber onto it at their period end, then approves
 * the rehearsal into the migration. Timed from each start until the run's report says completed; the
 * report's own counts and comparison are printed beside the times.
 */
import type { MikroORM } from '@mikro-orm/core';
import { Plan } from '../db/entities';
import type { Cluster } from '../tools/cluster/cluster';

interface Run {
  migration_id: string;
  status: string;
  progress: { candidates: number; moved: number; failed: number };
  summary: {
    mrr: { currency: string; before_cents: number; after_cents: number }[];
    pay_more: number;
  } | null;
  comparison: { matched: number; differed: number } | null;
}

const fmt = (n: number, digits = 0) =>
  n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });

export async function measureMigration(x: {
  cluster: Cluster;
  orm: MikroORM;
  print: (line?: string) => void;
  log: (line: string) => void;
  machine: () => string;
}): Promise<void> {
  const { cluster, orm, print, log } = x;
  const token = await cluster.token({ email: 'bench-admin@example.com', role: 'admin' });
  const call = async (
    method: string,
    path: string,
    body?: unknown,
  ): Promise<{ status: number; body: Run & { version: number; grandfathered_subscribers: number } }> => {
    const res = await fetch(`${cluster.urls.api}/api/v1${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });
    return {
      status: res.status,
      body: (await res.json()) as Run & { version: number; grandfathered_subscribers: number },
    };
  };
  const changed = await call('PUT', '/subscriptions/plans/starter', { price_monthly_cents: 2400 });
  if (changed.status !== 200)
    throw new Error(`new version: ${changed.status} ${JSON.stringify(changed.body)}`);
  log(`starter v${changed.body.version}: ${fmt(changed.body.grandfathered_subscribers)} keep the old one`);
  const version = changed.body.version;
  for (let waited = 0; ; waited += 1000) {
    const plan = await orm.em.fork().findOne(Plan, { code: 'starter', version });
    if (plan?.stripePriceMonthlyId && plan.stripeUsagePriceMonthlyId) break;
    if (waited > 300_000) throw new Error('the new version never got its Stripe prices');
    await new Promise((r) => setTimeout(r, 1000));
  }

  /** Starts a run (or approves one) and answers its report once completed, with its time in seconds. */
  async function timed(what: string, start: () => Promise<{ status: number; body: Run }>) {
    const t = Date.now();
    const started = await start();
    if (started.status !== 202) throw new Error(`${what}: ${started.status} ${JSON.stringify(started.body)}`);
    const id = started.body.migration_id;
    for (let i = 0; ; i++) {
      const r = await call('GET', `/admin/plan-migrations/${id}?limit=1`);
      const run = r.body;
      if (run.status === 'completed') return { run, seconds: (Date.now() - t) / 1000 };
      if (i % 15 === 0)
        log(`${what}: ${fmt(run.progress.moved + run.progress.failed)} of ${fmt(run.progress.candidates)}`);
      if (Date.now() - t > 3 * 3_600_000) throw new Error(`${what} did not finish in three hours`);
      await new Promise((res) => setTimeout(res, 2000));
    }
  }

  const rehearsal = await timed('rehearsal', () =>
    call('POST', '/subscriptions/plans/starter/migrate', { when: 'period_end', rehearse: true }),
  );
  const migration = await timed('migration', () =>
    call('POST', `/admin/plan-migrations/${rehearsal.run.migration_id}/approve`),
  );
  const n = rehearsal.run.progress.candidates;
  print(`5. A price change on the whole book — ${x.machine()}`);
  print(
    `   Starter at $24.00 instead of $19.00, every subscriber moved at their period end: first rehearsed (each move worked out from`,
  );
  print(
    "   its workflow's state, nothing changed), then the rehearsal approved into the migration (an Update on each subscription's workflow).",
  );
  print();
  const rows = [
    ['run', 'subscriptions', 'moved', 'failed', 'minutes', 'per second', 'ms each'],
    ...[
      ['rehearsal', rehearsal],
      ['migration', migration],
    ].map(([name, r]) => {
      const { run, seconds } = r as typeof rehearsal;
      return [
        name as string,
        fmt(run.progress.candidates),
        fmt(run.progress.moved),
        fmt(run.progress.failed),
        fmt(seconds / 60, 1),
        fmt(run.progress.candidates / seconds, 1),
        fmt((seconds * 1000) / Math.max(1, run.progress.candidates), 1),
      ];
    }),
  ];
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  for (const r of rows)
    print(`   ${r.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ')}`);
  print();
  const mrr = rehearsal.run.summary?.mrr[0];
  print(
    `   The rehearsal: monthly revenue ${mrr ? `${fmt(mrr.before_cents / 100, 2)} → ${fmt(mrr.after_cents / 100, 2)} ${mrr.currency.toUpperCase()}` : 'none'}, ` +
      `${fmt(rehearsal.run.summary?.pay_more ?? 0)} of ${fmt(n)} paying more. The migration against it: ` +
      `${fmt(migration.run.comparison?.matched ?? 0)} moves as rehearsed, ${fmt(migration.run.comparison?.differed ?? 0)} not.`,
  );
  print(`   The migration took ${fmt(migration.seconds / rehearsal.seconds, 2)} times the rehearsal's time.`);
  print();
}
