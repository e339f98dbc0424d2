import type { HandlerInput } from '../../routing/define-route';
import { usageRevenue } from '../../../services/revenue/usage-revenue';
import { commitmentRevenue } from '../../../services/revenue/commitments';
import type { commitmentRevenueQuery, usageRevenueQuery } from './schemas';

export async function getUsageRevenue({
  deps,
  query,
}: HandlerInput<undefined, typeof usageRevenueQuery, undefined, 'admin'>) {
  const r = await usageRevenue(deps.orm.em.fork(), {
    now: new Date(),
    month: query.month,
    currency: query.currency,
  });
  return {
    month: r.month,
    currency: r.currency,
    lines: r.lines.map((l) => ({
      key: l.key,
      usage_type: l.usageType,
      match: l.match,
      byok: l.byok,
      units: l.units,
      included_used: l.includedUsed,
      cost_cents: l.cents,
      customers: l.customers,
    })),
    total_cents: r.totalCents,
  };
}

export async function getCommitmentRevenue({
  deps,
  query,
}: HandlerInput<undefined, typeof commitmentRevenueQuery, undefined, 'admin'>) {
  const r = await commitmentRevenue(deps.orm.em.fork(), {
    now: new Date(),
    month: query.month,
    currency: query.currency,
  });
  return {
    month: r.month,
    currency: r.currency,
    live: { commitments: r.live.commitments, monthly_minimum_cents: r.live.monthlyMinimumCents },
    settled: {
      periods: r.settled.periods,
      short: r.settled.short,
      minimum_cents: r.settled.minimumCents,
      consumed_cents: r.settled.consumedCents,
      true_up_cents: r.settled.trueUpCents,
    },
    periods: r.periods.map((p) => ({
      email: p.email,
      period_start: p.periodStart.toISOString(),
      period_end: p.periodEnd.toISOString(),
      minimum_cents: p.minimumCents,
      consumed_cents: p.consumedCents,
      true_up_cents: p.trueUpCents,
      invoice_id: p.stripeInvoiceId ?? null,
    })),
    prepaid: {
      live: { commits: r.prepaid.live.commits, amount_cents: r.prepaid.live.amountCents },
      settled: {
        commits: r.prepaid.settled.commits,
        amount_cents: r.prepaid.settled.amountCents,
        drawn_cents: r.prepaid.settled.drawnCents,
        expired_cents: r.prepaid.settled.expiredCents,
        rolled_over_cents: r.prepaid.settled.rolledOverCents,
      },
      commits: r.prepaid.commits.map((c) => ({
        email: c.email,
        commit_id: c.commitId,
        amount_cents: c.amountCents,
        term_ends_at: c.termEndsAt.toISOString(),
        drawn_cents: c.drawnCents,
        expired_cents: c.expiredCents,
        rolled_over_cents: c.rolledOverCents,
      })),
    },
  };
}
