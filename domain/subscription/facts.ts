import type { SubscriptionStatus } from '../subscription-status';

/** A plan change waiting for its date (period end, or a trial's end for the trial tier's pick). */
export interface ScheduledChange {
  planCode: string;
  interval: 'month' | 'year';
  effectiveAt: string;
  requestId: string;
}

/** What the lifecycle rules read of a subscription: the workflow's state satisfies it as it is. */
export interface SubscriptionFacts {
  status: SubscriptionStatus;
  tier: string;
  interval: 'month' | 'year';
  /** The Stripe price the subscription is on; absent before the first snapshot. */
  priceId?: string | null;
  stripeSubscriptionId: string | null;
  currentPeriodEnd: string | null;
  trialEnd: string | null;
  cancelAtPeriodEnd: boolean;
  pendingChange: ScheduledChange | null;
  /** Invoices whose dunning run is still going. */
  dunningInvoices: string[];
  trialReminderSent: boolean;
}
