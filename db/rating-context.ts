import type { BillingInterval } from '../domain/billing-cycle';
import { effectiveRateCard, type RateLine } from '../domain/rate-card';
import { includedCreditsPerPeriod } from '../domain/usage';
import { readDate, type Sql } from './raw-sql';
import { rowUsageTermsIn } from './plan-prices';

/** What a customer's usage is rated by: their plan's effective rate card and where their period starts. */
export interface RatingContext {
  lines: RateLine[];
  /** The current period's start and the plan's interval; null without a subscription. */
  current: { start: Date; interval: BillingInterval } | null;
  /** The current period's end, when the subscription knows it. */
  currentEnd: Date | null;
  /** The currency the cents of `lines` are in: the subscription's. */
  currency: string;
}

/** A customer with no subscription: usage counts in calendar months and bills nothing beyond the pool. */
export const NO_PLAN_RATING: RatingContext = {
  lines: effectiveRateCard([], 0, 0),
  current: null,
  currentEnd: null,
  currency: 'usd',
};

/**
 * Each customer's rating context, from their newest subscription (ended ones too: usage reported after a
 * cancellation is still rated by the plan it ran on). The current plan version rates the whole of an open
 * period; a plan changed mid-period is rated by the new card from its first unit.
 */
export async function ratingContexts(
  sql: Sql,
  customerIds: readonly string[],
): Promise<Map<string, RatingContext>> {
  const out = new Map<string, RatingContext>();
  const ids = [...new Set(customerIds)];
  for (let i = 0; i < ids.length; i += 500) {
    const chunk = ids.slice(i, i + 500);
    const rows = await sql.run<Record<string, unknown>>(
      `select s.customer_id, s.interval, s.current_period_start, s.current_period_end, s.trial_start, s.trial_end,
              s.currency, p.included_credits, p.overage_per1k_cents, p.rate_card,
              p.currency as plan_currency, p.currency_prices
         from subscriptions s join plans p on p.id = s.plan_id
        where s.customer_id in (${chunk.map(() => '?').join(', ')})
        order by s.created_at asc, s.id asc`,
      chunk,
    );
    // Oldest first: the newest of each customer is set last.
    for (const r of rows) {
      const interval = (r.interval === 'year' ? 'year' : 'month') as BillingInterval;
      // As the usage view counts: the open period, or the calendar month while Stripe has not said one.
      const start = r.current_period_start ?? r.trial_start;
      const end = r.current_period_end ?? r.trial_end;
      const usage = rowUsageTermsIn(r, r.currency as string);
      out.set(r.customer_id as string, {
        lines: effectiveRateCard(
          usage.rateCard,
          includedCreditsPerPeriod(Number(r.included_credits), interval),
          usage.overagePer1kCents,
        ),
        current: start == null ? null : { start: readDate(start), interval },
        currentEnd: end == null ? null : readDate(end),
        currency: r.currency as string,
      });
    }
  }
  return out;
}
