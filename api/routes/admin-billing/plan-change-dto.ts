import { centsToDollars } from '../../../domain/money';
import type { AdminChangeResult } from '../../../services/subscriptions/change-as-admin';
import type { prorationPreview } from '../../../services/subscriptions/change-plan';

/** `GET /admin/subscriptions/{email}/plan-change-preview`: what the change would cost now. */
export function planChangePreviewDto(p: ReturnType<typeof prorationPreview>) {
  return {
    preview: true as const,
    when: p.when,
    new_tier: p.tier,
    credit_cents: p.creditCents,
    charge_cents: p.chargeCents,
    amount_due_now_cents: p.dueNowCents,
    amount_due_now: centsToDollars(p.dueNowCents),
    next_amount_cents: p.nextAmountCents,
  };
}

/** `PATCH /admin/subscriptions/{email}`: each step the workflow applied, with its answer. */
export function adminChangeDto(r: AdminChangeResult) {
  return { success: true, subscription_id: r.subscriptionId, email: r.email, applied: r.applied };
}
