import type { customerInvoices, customerUsage } from '../../../services/admin-lists/customer-detail';

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
