import { centsToDollars } from '../../domain/money';
import type { prorationPreview } from '../../domain/plan-change-proration';

/** A plan change's cost now, as the customer's and the admin's previews both answer it. */
export function planChangePreviewDto(p: ReturnType<typeof prorationPreview>) {
  return {
    preview: true as const,
    when: p.when,
    new_tier: p.tier,
    credit_cents: p.creditCents,
    charge_cents: p.chargeCents,
    /** What the subscription's coupon takes off the two lines (already out of the amount due now). */
    discount_cents: p.discountCents,
    amount_due_now_cents: p.dueNowCents,
    amount_due_now: centsToDollars(p.dueNowCents),
    next_amount_cents: p.nextAmountCents,
  };
}
