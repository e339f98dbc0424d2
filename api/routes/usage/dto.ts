import { AppError } from '../../../domain/errors';
import type { ReportOutcome } from '../../../domain/usage-report';
import type { QuotaExceeded } from '../../../services/usage/report-usage';
import type { UsageRecords, UsageReset, UsageStats, UsageSummary } from '../../../services/usage/usage-views';
import { moneyFields } from '../money-fields';

/** The report_usage answer. */
export function reportOutcomeDto(o: ReportOutcome) {
  return {
    accepted: o.accepted,
    duplicate: o.duplicate,
    rejected: o.rejected,
    rejected_events: o.rejectedEvents,
    quota: o.quota && {
      limit: o.quota.limit,
      used_today: o.quota.usedToday,
      remaining_today: o.quota.remainingToday,
      resets_at: o.quota.resetsAt.toISOString(),
    },
  };
}

/** The refusal of a report the daily limit refused whole: its outcome, and when to come back. */
export function quotaExceededError(err: QuotaExceeded): AppError {
  return new AppError(err.kind, err.code, err.message, {
    ...reportOutcomeDto(err.outcome),
    resets_at: err.resetsAt.toISOString(),
    retry_after_seconds: err.retryAfterSeconds,
  });
}

/** GET /billing/usage: units per type, and the credits with their dollars beside the cents. */
export function usageSummaryDto(s: UsageSummary) {
  return {
    usage: {
      today: s.usage.today,
      month: s.usage.month,
      byok_month: s.usage.byokMonth,
      period_start: s.usage.periodStart.toISOString(),
      period_end: s.usage.periodEnd?.toISOString() ?? null,
    },
    credits: {
      tier: s.credits.tier,
      included_credits: s.credits.included,
      used: s.credits.used,
      remaining: s.credits.remaining,
      overage: s.credits.overage,
      ...moneyFields('overage_cost', s.credits.overageCostCents),
      ...moneyFields('price_per_1k', s.credits.pricePer1kCents),
    },
    cost: {
      lines: s.cost.lines.map((l) => ({
        key: l.key,
        usage_type: l.line.usageType,
        match: l.line.match,
        byok: l.line.byok,
        units: l.units,
        included: l.line.included,
        included_used: l.includedUsed,
        priced_units: l.priced,
        ...moneyFields('cost', l.cents),
      })),
      ...moneyFields('total', s.cost.cents),
      currency: s.currency,
    },
    tier: s.tier,
  };
}

function rollupDto(r: UsageRecords['rollups'][number]) {
  return {
    id: r.id,
    identifier: r.identifier,
    type: r.type,
    quantity: r.quantity,
    window_start: r.windowStart.toISOString(),
    window_end: r.windowEnd.toISOString(),
    stripe_reported_at: r.stripeReportedAt?.toISOString() ?? null,
    lago_reported_at: r.lagoReportedAt?.toISOString() ?? null,
  };
}

/** GET /billing/usage_records. */
export function usageRecordsDto(r: UsageRecords) {
  return {
    records: r.records.map(({ event: e, ...where }) => ({
      id: e.id,
      event_id: e.eventId,
      // The same id may be in both namespaces: the gateway's and the customer's own reports.
      reporter: e.reporter,
      type: e.type,
      quantity: e.quantity,
      timestamp: e.occurredAt.toISOString(),
      reported_at: e.receivedAt.toISOString(),
      metadata: e.metadata,
      byok: e.byok,
      subject: e.subject ?? null,
      status: where.status,
      rollup_id: where.rollupId,
      stripe_report_id: where.stripeReportId,
      lago_transaction_id: where.lagoTransactionId,
    })),
    rollups: r.rollups.map(rollupDto),
    next_cursor: r.nextCursor,
  };
}

/** POST /admin/subscriptions/:email/reset-usage. */
export function usageResetDto(r: UsageReset) {
  return {
    email: r.email,
    customer_id: r.customerId,
    day: r.day,
    reset: true,
    previous_used: r.previousUsed,
    previous_by_type: r.previousByType,
    resets_at: r.resetsAt.toISOString(),
  };
}

/** GET /admin/subscriptions/analytics/usage-stats. */
export function usageStatsDto(s: UsageStats) {
  return {
    since: s.since,
    today: s.today,
    totals_by_type: s.totalsByType,
    total: s.total,
    today_by_type: s.todayByType,
    by_day: s.byDay.map((d) => ({ day: d.day, ...d.byType, total: d.total })),
    top_customers_today: s.topCustomersToday.map((t) => ({
      customer_id: t.customerId,
      email: t.email,
      used: t.used,
    })),
    rollup_backlog: {
      events_not_rolled_up: s.rollupBacklog.eventsNotRolledUp,
      oldest_unrolled_event_at: s.rollupBacklog.oldestUnrolledEventAt?.toISOString() ?? null,
      rollups_not_in_stripe: s.rollupBacklog.rollupsNotInStripe,
      rollups_not_in_lago: s.rollupBacklog.rollupsNotInLago,
    },
  };
}

/** A usage type, built in or added by an operator. */
export function usageTypeDto(t: { code: string; description: string | null; builtIn: boolean }) {
  return { code: t.code, description: t.description, built_in: t.builtIn };
}
