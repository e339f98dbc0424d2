import type { MikroORM } from '@mikro-orm/core';
import { Gauge } from 'prom-client';
import { sqlFor } from '../db/raw-sql';
import {
  DEFAULT_RENEWAL_WINDOW_MS,
  renewalCounts,
  unforwardedStripeEvents,
  type RenewalCounts,
} from '../db/renewal-run';
import { registry } from './registry';

/** Scrapes in between answer from the last read: one read of the mirror per 15 s, however many scrape. */
const REFRESH_MS = 15_000;

const STATES = [
  'due',
  'invoiced',
  'paid',
  'failed',
  'waiting',
] as const satisfies readonly (keyof RenewalCounts)[];

let source: MikroORM | null = null;
let figures: {
  at: number;
  pending: Promise<{ counts: RenewalCounts; unforwarded: number; oldestReceivedAt: Date | null }>;
} | null = null;

/** The database the renewal gauges read (set with the other database gauges). */
export function readRenewalFiguresFrom(orm: MikroORM): void {
  source = orm;
  figures = null;
}

/** The next scrape reads the renewal figures afresh (a test that just changed them). */
export function refreshRenewalFigures(): void {
  figures = null;
}

function renewalFigures() {
  if (!source) return null;
  const now = Date.now();
  // The promise is kept, not its result: scrapes arriving while a read runs share it.
  if (!figures || now - figures.at >= REFRESH_MS) {
    const sql = sqlFor(source.em.fork());
    const pending = Promise.all([
      renewalCounts(sql, { since: new Date(now - DEFAULT_RENEWAL_WINDOW_MS), until: new Date(now) }),
      unforwardedStripeEvents(sql),
    ]).then(([counts, intake]) => ({ counts, ...intake }));
    const entry = { at: now, pending };
    figures = entry;
    // A failed read is not kept: the next scrape tries again.
    pending.catch(() => {
      if (figures === entry) figures = null;
    });
  }
  return figures.pending;
}

new Gauge({
  name: 'billing_renewals',
  help:
    'Renewals whose period boundary fell in the last 24 hours, by state: due, and of those invoiced, paid, ' +
    'failed and waiting (paid + failed + waiting = due); from the database mirror, refreshed every 15 s at most.',
  labelNames: ['state'] as const,
  registers: [registry],
  async collect() {
    const f = await renewalFigures()?.catch(() => null);
    if (!f) return;
    for (const state of STATES) this.set({ state }, f.counts[state]);
  },
});

new Gauge({
  name: 'billing_stripe_events_unforwarded',
  help: 'Stripe events recorded and not yet handed to their workflow (refreshed every 15 s at most).',
  registers: [registry],
  async collect() {
    const f = await renewalFigures()?.catch(() => null);
    if (f) this.set(f.unforwarded);
  },
});

new Gauge({
  name: 'billing_stripe_event_oldest_unforwarded_seconds',
  help:
    'How long the oldest Stripe event not yet handed to its workflow has waited, 0 when none waits: the ' +
    'forward lag as it stands, where billing_webhook_forward_lag_seconds only sees events once forwarded ' +
    '(refreshed every 15 s at most).',
  registers: [registry],
  async collect() {
    const f = await renewalFigures()?.catch(() => null);
    // Aged at the scrape, not at the read: a stuck event's age keeps growing between reads.
    if (f) this.set(f.oldestReceivedAt ? Math.max(0, (Date.now() - f.oldestReceivedAt.getTime()) / 1000) : 0);
  },
});
