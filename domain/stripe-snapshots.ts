/**
 * What the engine keeps of a Stripe subscription and invoice after a read: plain data, small as it goes into
 * workflow history (built from Stripe's objects in integrations/stripe/snapshots.ts).
 */

/** The few fields of a Stripe subscription a workflow needs (kept small: it goes into history). */
export interface SubscriptionSnapshot {
  stripeSubscriptionId: string;
  stripeCustomerId: string;
  status: string;
  pausedCollection: boolean;
  priceId: string | null;
  itemId: string | null;
  /** The metered item billing overage; null when the subscription has none. */
  usageItemId: string | null;
  /** What the plan item recurs at; null when Stripe's answer did not carry a tiered price's tiers. */
  amountCents: number | null;
  /** The plan item's quantity: the seats on a plan priced per seat. Absent from older snapshots. */
  quantity?: number;
  interval: 'month' | 'year';
  currentPeriodStart: string | null;
  currentPeriodEnd: string | null;
  trialEnd: string | null;
  cancelAtPeriodEnd: boolean;
  canceledAt: string | null;
  hasPaymentMethod: boolean;
  /** The card the subscription is charged with (Stripe's `default_payment_method`); absent from older snapshots. */
  paymentMethodId?: string | null;
  /** The discount Stripe applies to its invoices (read with `expand: ['discounts']`); absent for none. */
  discount?: {
    stripeCouponId: string;
    stripePromotionCodeId: string | null;
    start: string;
    end: string | null;
  } | null;
}

export interface InvoiceSnapshot {
  stripeInvoiceId: string;
  stripeSubscriptionId: string | null;
  status: string;
  amountDueCents: number;
  amountPaidCents: number;
  hostedInvoiceUrl: string | null;
  attemptCount: number;
}
