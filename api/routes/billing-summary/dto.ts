import type { PeriodSummary } from '../../../services/billing-summary/period-summary';
import { moneyFields } from '../money-fields';

/** GET /billing/period_summary: the period's days and the next invoice's estimate. */
export function periodSummaryDto(s: PeriodSummary) {
  const next = s.nextInvoice;
  return {
    period_start: s.periodStart.toISOString(),
    period_end: s.periodEnd?.toISOString() ?? null,
    daily_usage: s.days.map((d) => ({ day: d.day, units: d.units })),
    next_invoice: next && {
      date: next.on.toISOString(),
      currency: next.currency,
      ...moneyFields('plan', next.planCents),
      ...moneyFields('usage', next.usageCents),
      ...moneyFields('discount', next.discountCents),
      coupon: next.coupon,
      ...moneyFields('total', next.totalCents),
    },
  };
}
