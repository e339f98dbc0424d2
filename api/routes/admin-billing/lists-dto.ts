import type { AdminCharge, AdminCustomer, AdminSubscription } from '../../../services/admin-lists/lists';
import { moneyFields } from '../money-fields';

/** A page of a list as the admin lists answer it: the rows, the filter's total, the next page's cursor. */
interface Page {
  total: number;
  nextCursor: string | null;
}

/** A customer in the admin list: Stripe's id where it has one, the seeds' metadata, ISO dates. */
export function adminCustomerDto(c: AdminCustomer) {
  return {
    id: c.stripeCustomerId ?? c.customerId,
    customer_id: c.customerId,
    stripe_customer_id: c.stripeCustomerId,
    email: c.email,
    name: c.name,
    created: c.createdAt.toISOString(),
    metadata: { user_id: c.userId, tier: c.tier },
    subscription_status: c.subscriptionStatus,
  };
}

/** A subscription in the admin list: Stripe's ids where it has them, the price in dollars beside cents. */
export function adminSubscriptionDto(s: AdminSubscription) {
  return {
    id: s.stripeSubscriptionId ?? s.subscriptionId,
    subscription_id: s.subscriptionId,
    stripe_subscription_id: s.stripeSubscriptionId,
    customer: s.stripeCustomerId ?? s.customerId,
    customer_id: s.customerId,
    email: s.email,
    tier: s.tier,
    status: s.status,
    ...moneyFields('amount', s.amountCents),
    mrr_cents: s.mrrCents,
    currency: s.currency,
    interval: s.interval,
    current_period_start: s.currentPeriodStart?.toISOString() ?? null,
    current_period_end: s.currentPeriodEnd?.toISOString() ?? null,
    trial_end: s.trialEnd?.toISOString() ?? null,
    cancel_at_period_end: s.cancelAtPeriodEnd,
    canceled_at: s.canceledAt?.toISOString() ?? null,
    created: s.createdAt.toISOString(),
  };
}

/** A charge in the admin list: the amount in dollars beside cents, its card and dispute. */
export function adminChargeDto(c: AdminCharge) {
  return {
    id: c.stripeChargeId,
    ...moneyFields('amount', c.amountCents),
    amount_refunded_cents: c.amountRefundedCents,
    currency: c.currency,
    status: c.status,
    customer: c.stripeCustomerId ?? c.customerId,
    customer_email: c.customerEmail,
    description: c.description,
    failure_code: c.failureCode,
    created: c.createdAt.toISOString(),
    paid: c.paid,
    refunded: c.refunded,
    card_brand: c.cardBrand,
    card_last4: c.cardLast4,
    invoice: c.stripeInvoiceId,
    disputed: c.disputeStatus != null,
    dispute_status: c.disputeStatus,
    disputed_amount_cents: c.disputedAmountCents,
    dispute_outcome: c.disputeOutcome,
    dispute_reason: c.disputeReason,
  };
}

export const customerPageDto = (p: Page & { customers: AdminCustomer[] }) => ({
  customers: p.customers.map(adminCustomerDto),
  total: p.total,
  next_cursor: p.nextCursor,
});

export const subscriptionPageDto = (p: Page & { subscriptions: AdminSubscription[] }) => ({
  subscriptions: p.subscriptions.map(adminSubscriptionDto),
  total: p.total,
  next_cursor: p.nextCursor,
});

export const chargePageDto = (p: Page & { charges: AdminCharge[] }) => ({
  charges: p.charges.map(adminChargeDto),
  total: p.total,
  next_cursor: p.nextCursor,
});
