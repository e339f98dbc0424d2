import type { SubscriptionDetail } from '../../../services/admin-lists/subscription-detail';
import { adminSubscriptionOf } from '../../../services/admin-lists/lists';
import { adminSubscriptionDto } from './lists-dto';

/** Where an operator sees a run: the namespace's workflow page in the configured Temporal Web UI. */
export function temporalWorkflowUrl(
  config: { TEMPORAL_UI_URL?: string; TEMPORAL_NAMESPACE: string },
  workflowId: string,
): string | null {
  if (!config.TEMPORAL_UI_URL) return null;
  const base = config.TEMPORAL_UI_URL.replace(/\/+$/, '');
  return `${base}/namespaces/${encodeURIComponent(config.TEMPORAL_NAMESPACE)}/workflows/${encodeURIComponent(workflowId)}`;
}

/** `GET /admin/subscriptions/{email}`: the admin list's row, then who, the workflow, history, changes and invoices. */
export function subscriptionDetailDto(
  d: SubscriptionDetail,
  config: { TEMPORAL_UI_URL?: string; TEMPORAL_NAMESPACE: string },
) {
  return {
    ...adminSubscriptionDto(adminSubscriptionOf(d.subscription)),
    customer_name: d.customer.name ?? null,
    user_id: d.customer.userId,
    // What Stripe Tax taxes by, as the customer's newest invoice carried it.
    billing_address: d.customer.billingAddress
      ? {
          country: d.customer.billingAddress.country,
          line1: d.customer.billingAddress.line1,
          line2: d.customer.billingAddress.line2,
          city: d.customer.billingAddress.city,
          postal_code: d.customer.billingAddress.postalCode,
          state: d.customer.billingAddress.state,
        }
      : null,
    tax_ids: d.customer.taxIds ?? [],
    workflow_id: d.workflowId,
    workflow_url: temporalWorkflowUrl(config, d.workflowId),
    history: d.history.map((s) => ({
      subscription_id: s.id,
      tier: s.tier,
      status: s.status,
      amount_cents: s.amountCents,
      interval: s.interval,
      created: s.createdAt.toISOString(),
      ended_at: s.endedAt?.toISOString() ?? null,
    })),
    changes: d.changes.map((c) => ({
      subscription_id: c.subscription.id,
      at: c.at.toISOString(),
      old_tier: c.oldTier ?? null,
      new_tier: c.newTier,
      old_status: c.oldStatus ?? null,
      new_status: c.newStatus,
      old_amount_cents: c.oldAmountCents ?? null,
      new_amount_cents: c.newAmountCents,
      old_interval: c.oldInterval ?? null,
      new_interval: c.newInterval,
    })),
    recent_invoices: d.invoices.map((i) => ({
      id: i.stripeInvoiceId,
      status: i.status,
      amount_due_cents: i.amountDueCents,
      amount_paid_cents: i.amountPaidCents,
      tax_cents: i.taxCents,
      reverse_charge: i.reverseCharge,
      created: i.createdAt.toISOString(),
    })),
  };
}
