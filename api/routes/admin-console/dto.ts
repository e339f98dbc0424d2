import type {
  customerInvoices,
  customerProviderKeys,
  customerUsage,
} from '../../../services/admin-lists/customer-detail';
import type { dunningRunsInFlight } from '../../../services/operations/dunning-runs';
import type { quotaDenialsByDay } from '../../../services/operations/quota-denials';
import type { usageRollupState } from '../../../services/operations/rollup-status';
import { providerKeyDto } from '../byok/dto';

type CustomerInvoices = Awaited<ReturnType<typeof customerInvoices>>;
type CustomerUsage = Awaited<ReturnType<typeof customerUsage>>;

/** A customer's invoices as the console reads them: each with its charges and what may still go back. */
export function customerInvoicesDto(p: CustomerInvoices) {
  return {
    email: p.email,
    invoices: p.invoices.map(({ invoice: inv, charges, ...back }) => ({
      id: inv.stripeInvoiceId,
      number: inv.number ?? null,
      status: inv.status,
      currency: inv.currency,
      created: inv.createdAt.toISOString(),
      paid_at: inv.paidAt?.toISOString() ?? null,
      amount_due_cents: inv.amountDueCents,
      amount_paid_cents: inv.amountPaidCents,
      amount_refunded_cents: back.refundedCents,
      amount_credited_cents: back.creditedCents,
      refundable_cents: back.refundableCents,
      creditable_cents: back.creditableCents,
      hosted_invoice_url: inv.hostedInvoiceUrl ?? null,
      charges: charges.map((c) => ({
        id: c.stripeChargeId,
        status: c.status,
        amount_cents: c.amountCents,
        amount_refunded_cents: c.amountRefundedCents,
        refunded: c.refunded,
        card: c.cardBrand && c.cardLast4 ? `${c.cardBrand} …${c.cardLast4}` : null,
        failure_code: c.failureCode ?? null,
        dispute_status: c.disputeStatus ?? null,
        created: c.createdAt.toISOString(),
      })),
    })),
    next_cursor: p.nextCursor,
  };
}

/** A customer's usage this period: units per day and type, billable and BYOK totals, included credits. */
export function customerUsageDto(u: CustomerUsage) {
  return {
    email: u.email,
    tier: u.tier,
    period_start: u.periodStart.toISOString(),
    period_end: u.periodEnd.toISOString(),
    types: u.types,
    by_day: u.byDay.map(({ day, counts, total }) => ({ day, ...counts, total })),
    billable_by_type: u.billableByType,
    byok_by_type: u.byokByType,
    used: u.credits.used,
    included_credits: u.credits.included,
    remaining: u.credits.remaining,
    overage: u.credits.overage,
    overage_cost_cents: u.credits.overageCostCents,
    currency: u.currency,
  };
}

type QuotaDenials = Awaited<ReturnType<typeof quotaDenialsByDay>>;
type RollupState = Awaited<ReturnType<typeof usageRollupState>>;
type DunningRuns = Awaited<ReturnType<typeof dunningRunsInFlight>>;

const iso = (d: Date | null) => d?.toISOString() ?? null;

/** Quota denials per day, by where they happened, and per plan. */
export function quotaDenialsDto(q: QuotaDenials) {
  return {
    since: q.since,
    days: q.days.map((d) => ({ day: d.day, report: d.report, check_access: d.checkAccess, total: d.total })),
    total: q.total,
    by_plan: q.byPlan,
  };
}

/** The usage rollup's backlog, and what its workflow says of itself when Temporal answered. */
export function rollupStatusDto(s: RollupState) {
  const w = s.workflow;
  return {
    as_of: s.asOf.toISOString(),
    last_rollup_at: iso(s.lastRollupAt),
    events_not_rolled_up: s.eventsNotRolledUp,
    oldest_unrolled_event_at: iso(s.oldestUnrolledEventAt),
    lag_seconds: s.lagSeconds,
    rollups_not_in_stripe: s.rollupsNotInStripe,
    rollups_not_in_lago: s.rollupsNotInLago,
    oldest_unreported_rollup_at: iso(s.oldestUnreportedRollupAt),
    workflow: w.reachable
      ? {
          reachable: w.reachable,
          status: w.status,
          run_started_at: w.runStartedAt.toISOString(),
          cycles: w.cycles,
          events: w.events,
          rollups: w.rollups,
          stripe_reported: w.stripeReported,
          lago_reported: w.lagoReported,
          failed_cycles: w.failedCycles,
          last_cycle_at: w.lastCycleAt,
          last_failure_at: w.lastFailureAt,
          last_error: w.lastError,
          error: w.error,
        }
      : { reachable: w.reachable, error: w.error },
  };
}

/** The dunning runs in flight, or why Temporal could not list them. */
export function dunningRunsDto(d: DunningRuns) {
  return {
    reachable: d.reachable,
    error: d.error,
    runs: d.runs.map((r) => ({
      workflow_id: r.workflowId,
      started_at: r.startedAt.toISOString(),
      invoice_id: r.invoiceId,
      email: r.email,
      attempt: r.attempt,
      attempts: r.attempts,
      retries_made: r.retriesMade,
      next_attempt_at: r.nextAttemptAt,
      suspend_at: r.suspendAt,
      suspended: r.suspended,
    })),
  };
}

/** A customer's stored provider keys, as hints only. */
export function customerProviderKeysDto(k: Awaited<ReturnType<typeof customerProviderKeys>>) {
  return { email: k.email, keys: k.keys.map(providerKeyDto) };
}

/** A customer's next invoice, in the shape the customer reads their own. */
export { upcomingInvoiceDto as customerUpcomingInvoiceDto } from '../invoices/dto';
import { upcomingInvoiceDto } from '../invoices/dto';
import type { WhatIfInvoice } from '../../../services/invoices/what-if-invoice';

/** An admin's what-if on a customer's next invoice. */
export function whatIfDto(w: WhatIfInvoice) {
  return {
    invoice: upcomingInvoiceDto(w.invoice),
    usage: w.usage.map((u) => ({
      type: u.type,
      units: u.units,
      ...(u.model !== undefined && { model: u.model }),
      ...(u.direction !== undefined && { direction: u.direction }),
    })),
    usage_cost_before_cents: w.beforeCents,
    usage_cost_after_cents: w.afterCents,
    extra_cents: w.extraCents,
  };
}
