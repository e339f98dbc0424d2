import { ApplicationFailure } from '@temporalio/common';
import { num, readDate, sqlFor } from '../../db/raw-sql';
import { NO_PLAN_RATING, ratingContexts } from '../../db/rating-context';
import { periodLineTotals, rollupsUnreportedToStripe } from '../../db/usage-rollups';
import { periodHolding } from '../../domain/billing-cycle';
import { rateUsage } from '../../domain/rate-card-rating';
import { USAGE_METER_EVENT } from '../../integrations/stripe/catalog-sync';
import { stripeCall } from '../stripe/errors';
import { usageClock, type ReportResult, type UsageActivityDeps } from './deps';
import { markReported, recordUnitsReported } from './reported';

const sameInstant = (a: Date, b: Date | undefined): boolean => b !== undefined && a.getTime() === b.getTime();

/** Stripe refuses meter events older than 35 days; an older window is stamped just inside that limit. */
const STRIPE_MAX_AGE_S = 35 * 24 * 60 * 60 - 60 * 60;

/** The usage rollup workflow's report of rated usage cost to Stripe. */
export function createStripeReportActivities(deps: UsageActivityDeps) {
  const clock = usageClock(deps);
  const now = () => clock.now().getTime();

  /**
   * Tells Stripe each customer's rated usage cost for every billing period with unreported rollups: one
   * meter event carrying the period's cost so far in cents (domain/rate-card-rating.ts rateUsage over all its
   * rollups), which the `last` meter bills, then marks the rollups. The value is absolute, so a crash
   * before the mark re-sends the same identifier (dropped by Stripe) or, after more rollups, a newer
   * total that supersedes it: nothing is billed twice, and a volume tier that lowers the total needs no
   * negative event.
   */
  async function reportRollupsToStripe(input: { limit?: number } = {}): Promise<ReportResult> {
    const stripe = deps.stripe;
    if (!stripe) return { skipped: true, reported: 0, failed: 0, more: false };
    const limit = input.limit ?? 100;
    const sql = sqlFor(deps.orm.em.fork());
    const rows = await rollupsUnreportedToStripe(sql, limit);
    if (rows.length === 0) return { skipped: false, reported: 0, failed: 0, more: false };
    const contexts = await ratingContexts(
      sql,
      rows.map((r) => r.customer_id),
    );
    // One report per customer and period: the newest rollup of the batch names it.
    const periods = new Map<string, { rows: typeof rows; start: Date; newest: (typeof rows)[number] }>();
    for (const r of rows) {
      const ctx = contexts.get(r.customer_id) ?? NO_PLAN_RATING;
      const start = r.period_start
        ? readDate(r.period_start)
        : periodHolding(readDate(r.window_start), ctx.current).start;
      const key = `${r.customer_id}|${start.getTime()}`;
      const p = periods.get(key) ?? { rows: [], start, newest: r };
      p.rows.push(r);
      p.newest = r;
      periods.set(key, p);
    }
    const done: string[] = [];
    const reported: typeof rows = [];
    let failed = 0;
    const nowS = Math.floor(now() / 1000);
    for (const p of periods.values()) {
      const customerId = p.newest.customer_id;
      const ctx = contexts.get(customerId) ?? NO_PLAN_RATING;
      const totals = await periodLineTotals(sql, customerId, p.start);
      const cost = rateUsage(ctx.lines, new Map(totals.map((t) => [t.line_key, num(t.n)]))).cents;
      const end =
        periodHolding(p.start, ctx.current).end ??
        (sameInstant(p.start, ctx.current?.start) ? ctx.currentEnd : null);
      // Inside the period, never ahead of Stripe's clock, and within the 35 days Stripe takes.
      const last = end ? Math.floor(end.getTime() / 1000) - 1 : nowS;
      const timestamp = Math.max(
        Math.min(last, nowS),
        Math.floor(p.start.getTime() / 1000),
        nowS - STRIPE_MAX_AGE_S,
      );
      try {
        await stripeCall(() =>
          stripe.billing.meterEvents.create({
            event_name: USAGE_METER_EVENT,
            identifier: `cost:${p.newest.id}`,
            timestamp,
            payload: { stripe_customer_id: p.newest.stripe_customer_id, value: String(cost) },
          }),
        );
        done.push(...p.rows.map((r) => r.id));
        reported.push(...p.rows);
      } catch (err) {
        // A refusal that a retry cannot fix must not stop the others; outages are retried by Temporal.
        if (err instanceof ApplicationFailure && err.nonRetryable) {
          failed += p.rows.length;
          deps.logger.warn({ customerId, err: err.message }, 'Stripe refused a usage cost report');
          continue;
        }
        await markReported(deps, 'stripe_reported_at', done);
        throw err;
      }
    }
    await deps.afterReport?.(
      'stripe',
      rows.map((r) => r.identifier),
    );
    await markReported(deps, 'stripe_reported_at', done);
    recordUnitsReported('stripe', reported);
    return { skipped: false, reported: done.length, failed, more: rows.length === limit };
  }

  return { reportRollupsToStripe };
}
