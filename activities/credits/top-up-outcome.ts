import type { NotificationInput } from '../notify/outbox';

/** One try of an automatic top-up for one crossing of the customer's threshold. */
export interface TopUpTry {
  customerId: string;
  crossingKey: string;
  attempt: number;
}

/** How one try of an automatic top-up ended. */
export interface TopUpOutcome {
  /** `pending`: Stripe took the charge but has not been paid yet; nothing is granted (and nothing retried). */
  status: 'charged' | 'declined' | 'skipped' | 'pending';
  reason: string | null;
  grantId: string | null;
  paymentIntentId: string | null;
  notice: NotificationInput | null;
  autoTopUpDisabled?: boolean;
}
