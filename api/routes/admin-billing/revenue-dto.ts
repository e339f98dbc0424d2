import { moneyFields } from '../money-fields';
import type { Period } from '../../../domain/revenue-periods';
import type { AnalyticsOverview } from '../../../services/revenue/overview';
import type { RevenueMovements } from '../../../services/revenue/movements';
import type { RevenueRange } from '../../../services/revenue/range';
import type { BillingStats } from '../../../services/revenue/stats';
import type { Movement, RevenueSummary } from '../../../services/revenue/summary';
import type { RevenueTimeseries } from '../../../services/revenue/timeseries';
import type { RevenueByTier } from '../../../services/revenue/tiers';

/** A ratio as the answers have always given it: to four decimals. */
const ratio = (r: number) => Math.round(r * 10_000) / 10_000;

const period = (p: Period) => ({ period: p.period, start: p.start.toISOString(), end: p.end.toISOString() });

const movement = (m: Movement) => ({ ...moneyFields('mrr', m.mrrCents), customers: m.customers });

function collectedDto(c: RevenueSummary['collected']) {
  return {
    month: c.month,
    from: c.from.toISOString(),
    to: c.to.toISOString(),
    ...moneyFields('gross', c.paidCents),
    ...moneyFields('refunds', c.refundedCents),
    ...moneyFields('credit_notes', c.creditedCents),
    ...moneyFields('net_revenue', c.netCents),
    ...moneyFields('discounts', c.discountedCents),
  };
}

/** `GET /admin/revenue`: the seeds' dollar figures first, then their cents and the rest. */
export function revenueSummaryDto(s: RevenueSummary) {
  const mrr = moneyFields('mrr', s.mrrCents);
  const arr = moneyFields('arr', s.arrCents);
  const arpu = moneyFields('arpu', s.arpuCents);
  const recent = moneyFields('recent_revenue_30d', s.last30d.paidCents);
  const m = s.movements;
  const nrr = m.netRevenueRetention === null ? null : ratio(m.netRevenueRetention);
  const last30d = s.last30d;
  return {
    mrr: mrr.mrr,
    arr: arr.arr,
    churn_rate: ratio(s.churnRate),
    churn_percentage: Math.round(s.churnRate * 10_000) / 100,
    active_subscriptions: s.activeSubscriptions,
    recent_revenue_30d: recent.recent_revenue_30d,
    arpu: arpu.arpu,
    mrr_cents: mrr.mrr_cents,
    arr_cents: arr.arr_cents,
    arpu_cents: arpu.arpu_cents,
    recent_revenue_30d_cents: recent.recent_revenue_30d_cents,
    ...moneyFields('refunds_30d', last30d.refundedCents),
    ...moneyFields('credit_notes_30d', last30d.creditedCents),
    ...moneyFields('net_revenue_30d', last30d.netCents),
    ...moneyFields('discounts_30d', last30d.discountedCents),
    paying_customers: s.payingCustomers,
    churned_subscriptions_30d: s.churnedLast30d,
    active_subscriptions_30d_ago: s.activeThirtyDaysAgo,
    net_revenue_retention: nrr,
    movements: {
      month: m.month,
      from: m.from.toISOString(),
      to: m.to.toISOString(),
      ...moneyFields('starting_mrr', m.startingMrrCents),
      ...moneyFields('ending_mrr', m.endingMrrCents),
      new: movement(m.new),
      expansion: movement(m.expansion),
      contraction: movement(m.contraction),
      churned: movement(m.churned),
      reactivated: movement(m.reactivated),
      net_new_mrr_cents: m.netNewMrrCents,
      net_revenue_retention: nrr,
    },
    collected: collectedDto(s.collected),
    currency: s.currency,
    currencies: s.currencies,
    as_of: s.asOf.toISOString(),
  };
}

/** `GET /admin/billing/stats`: `monthly_revenue` is MRR. */
export function billingStatsDto(s: BillingStats) {
  const breakdown: Record<string, object> = {};
  for (const t of s.tiers) {
    breakdown[t.tier] = {
      count: t.paying + t.trialing,
      ...moneyFields('revenue', t.mrrCents),
      paying: t.paying,
      trialing: t.trialing,
    };
  }
  return {
    total_customers: s.totalCustomers,
    active_subscriptions: s.activeSubscriptions,
    trial_subscriptions: s.trialSubscriptions,
    ...moneyFields('monthly_revenue', s.mrrCents),
    tier_breakdown: breakdown,
    currency: s.currency,
  };
}

/** `GET /admin/subscriptions/analytics/revenue-by-tier`. */
export function revenueByTierDto(r: RevenueByTier) {
  return {
    tiers: r.tiers.map((t) => ({
      tier: t.tier,
      paying_subscriptions: t.paying,
      trialing_subscriptions: t.trialing,
      ...moneyFields('mrr', t.mrrCents),
      ...moneyFields('arr', t.arrCents),
      share_of_mrr: ratio(t.shareOfMrr),
    })),
    ...moneyFields('total_mrr', r.totalMrrCents),
    currency: r.currency,
  };
}

/** `GET /admin/subscriptions/analytics/overview`. */
export function analyticsOverviewDto(o: AnalyticsOverview) {
  return {
    total_subscriptions: o.totalSubscriptions,
    by_status: o.byStatus,
    active_subscriptions: o.activeSubscriptions,
    trial_subscriptions: o.byStatus.trialing ?? 0,
    past_due_subscriptions: o.byStatus.past_due ?? 0,
    canceled_subscriptions: o.byStatus.canceled ?? 0,
    pending_cancellations: o.pendingCancellations,
    paying_customers: o.payingCustomers,
    ...moneyFields('mrr', o.mrrCents),
    ...moneyFields('arr', o.arrCents),
    ...moneyFields('arpu', o.arpuCents),
    churn_rate: ratio(o.churnRate),
    currency: o.currency,
  };
}

/** A chart's range and currency, then its points. */
function series<P, D>(r: RevenueRange & { points: P[] }, point: (p: P) => D) {
  return { interval: r.interval, from: r.from, to: r.to, currency: r.currency, points: r.points.map(point) };
}

/** `GET /admin/revenue/timeseries`. */
export function revenueTimeseriesDto(t: RevenueTimeseries) {
  return series(t, (p) => ({
    ...period(p),
    ...moneyFields('mrr', p.mrrCents),
    active_subscriptions: p.activeSubscriptions,
    new_subscriptions: p.newSubscriptions,
    churned_subscriptions: p.churnedSubscriptions,
    churned_mrr_cents: p.churnedMrrCents,
    churn_rate: ratio(p.churnRate),
    collected_cents: p.collectedCents,
    refunds_cents: p.refundsCents,
    credit_notes_cents: p.creditNotesCents,
    net_revenue_cents: p.netRevenueCents,
  }));
}

const periodMovement = (m: Movement) => ({ mrr_cents: m.mrrCents, customers: m.customers });

/** `GET /admin/revenue/movements`. */
export function revenueMovementsDto(r: RevenueMovements) {
  return series(r, (p) => ({
    ...period(p),
    starting_mrr_cents: p.startingMrrCents,
    ending_mrr_cents: p.endingMrrCents,
    new: periodMovement(p.new),
    expansion: periodMovement(p.expansion),
    contraction: periodMovement(p.contraction),
    churned: periodMovement(p.churned),
    reactivated: periodMovement(p.reactivated),
    net_new_mrr_cents: p.netNewMrrCents,
  }));
}
