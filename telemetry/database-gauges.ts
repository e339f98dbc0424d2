import type { MikroORM } from '@mikro-orm/core';
import type { SqlEntityManager } from '@mikro-orm/knex';
import { Gauge } from 'prom-client';
import { num, sqlFor } from '../db/raw-sql';
import { registry } from './registry';
import { readRenewalFiguresFrom, refreshRenewalFigures } from './renewal-gauges';

/** Business figures an operator alerts on are read at most this often, however often Prometheus scrapes. */
const BUSINESS_REFRESH_MS = 15_000;

let source: MikroORM | null = null;
let business: {
  at: number;
  subs: { status: string; tier: string; n: number }[];
  pastDue: number;
  syncFailing: { system: string; n: number }[];
  byokCustomersRead: number;
} | null = null;

/** The window of billing_byok_key_read_customers. */
export const BYOK_READ_WINDOW_MS = 5 * 60_000;

/** The database the gauges read (the API's; the last one set wins, as a process serves one). */
export function readGaugesFrom(orm: MikroORM): void {
  source = orm;
  business = null;
  readRenewalFiguresFrom(orm);
}

/** The next scrape reads the business figures afresh (a test that just changed them). */
export function refreshBusinessFigures(): void {
  business = null;
  refreshRenewalFigures();
}

interface PoolLike {
  numUsed(): number;
  numFree(): number;
  numPendingAcquires(): number;
}

function pool(): PoolLike | null {
  if (!source) return null;
  const knex = (source.em as unknown as SqlEntityManager).getKnex() as unknown as {
    client?: { pool?: PoolLike };
  };
  return knex.client?.pool ?? null;
}

new Gauge({
  name: 'billing_db_pool_connections',
  help: "Database connections of the API's pool, by state (used, free, pending acquisitions).",
  labelNames: ['state'] as const,
  registers: [registry],
  collect() {
    const p = pool();
    if (!p) return;
    this.set({ state: 'used' }, p.numUsed());
    this.set({ state: 'free' }, p.numFree());
    this.set({ state: 'pending' }, p.numPendingAcquires());
  },
});

async function businessFigures() {
  if (!source) return null;
  if (business && Date.now() - business.at < BUSINESS_REFRESH_MS) return business;
  const sql = sqlFor(source.em.fork());
  const [subs, pastDue, syncFailing, byokRead] = await Promise.all([
    sql.rows<{ status: string; tier: string; n: unknown }>(
      'select status, tier, count(*) as n from subscriptions group by status, tier',
    ),
    sql.rows<{ n: unknown }>(
      "select count(*) as n from invoices where status = 'open' and due_date is not null and due_date < ?",
      [sql.date(new Date())],
    ),
    sql.rows<{ system: string; n: unknown }>(
      'select system, count(*) as n from access_sync_failures group by system',
    ),
    // Every key the gateway reads is audited in the same request: the audit log is the one record all API
    // processes share, and its created_at index keeps this to the window's rows.
    sql.rows<{ n: unknown }>(
      `select count(distinct k.customer_id) as n from audit_log a join provider_keys k on k.id = a.entity_id
       where a.action = 'byok.key_read' and a.created_at >= ?`,
      [sql.date(new Date(Date.now() - BYOK_READ_WINDOW_MS))],
    ),
  ]);
  business = {
    at: Date.now(),
    subs: subs.map((r) => ({ status: r.status, tier: r.tier, n: num(r.n) })),
    pastDue: num(pastDue[0]?.n),
    syncFailing: syncFailing.map((r) => ({ system: r.system, n: num(r.n) })),
    byokCustomersRead: num(byokRead[0]?.n),
  };
  return business;
}

new Gauge({
  name: 'billing_subscriptions',
  help: 'Subscriptions in the database mirror, by status and tier (refreshed every 15 s at most).',
  labelNames: ['status', 'tier'] as const,
  registers: [registry],
  async collect() {
    const figures = await businessFigures().catch(() => null);
    if (!figures) return;
    this.reset();
    for (const s of figures.subs) this.set({ status: s.status, tier: s.tier }, s.n);
  },
});

new Gauge({
  name: 'billing_past_due_invoices',
  help: 'Open invoices past their due date (refreshed every 15 s at most).',
  registers: [registry],
  async collect() {
    const figures = await businessFigures().catch(() => null);
    if (figures) this.set(figures.pastDue);
  },
});

new Gauge({
  name: 'billing_access_sync_failing',
  help:
    'Users (Keycloak) and customers (Lago) whose last access sync failed for good and has not succeeded ' +
    'since, so their access there is stale (refreshed every 15 s at most).',
  labelNames: ['system'] as const,
  registers: [registry],
  async collect() {
    const figures = await businessFigures().catch(() => null);
    if (!figures) return;
    for (const system of ['keycloak', 'lago']) {
      this.set({ system }, figures.syncFailing.find((f) => f.system === system)?.n ?? 0);
    }
  },
});

new Gauge({
  name: 'billing_byok_key_read_customers',
  help:
    'Distinct customers whose decrypted provider keys the gateway read in the last 5 minutes, across every ' +
    'API process (from the audit log; refreshed every 15 s at most). A leaked gateway token shows as a jump.',
  registers: [registry],
  async collect() {
    const figures = await businessFigures().catch(() => null);
    if (figures) this.set(figures.byokCustomersRead);
  },
});
