import { grantsAccess, type SubscriptionStatus } from './subscription-status';

/**
 * The next invoice of a subscription as it stands now, in the engine's terms: what Stripe's preview of it
 * says, line by line, in integer cents. Usage is what the usage meter holds (the rated cost the rollup last
 * reported), so the preview is what Stripe would issue were nothing more used.
 */
export type UpcomingLineKind = 'plan' | 'usage' | 'proration' | 'one_time';

export interface UpcomingInvoiceLine {
  kind: UpcomingLineKind;
  description: string;
  quantity: number;
  amountCents: number;
  discountCents: number;
  taxCents: number;
  periodStart: string;
  periodEnd: string;
}

export interface UpcomingInvoice {
  currency: string;
  /** When Stripe issues it and takes the payment. */
  issuedAt: string;
  lines: UpcomingInvoiceLine[];
  subtotalCents: number;
  discountCents: number;
  taxCents: number;
  totalCents: number;
  /** The total less what the customer's credit balance pays. */
  amountDueCents: number;
}

/**
 * What a line bills: a proration from a plan change, the metered usage, the plan's recurring fee, or a
 * one-time item.
 */
export function upcomingLineKind(line: {
  proration: boolean;
  metered: boolean;
  recurring: boolean;
}): UpcomingLineKind {
  if (line.proration) return 'proration';
  if (line.metered) return 'usage';
  return line.recurring ? 'plan' : 'one_time';
}

/**
 * Whether a subscription has a next invoice to preview: one that renews (the states that grant access:
 * trialing, active, or past due with Stripe still billing) and is not set to end at its period's end.
 */
export function hasUpcomingInvoice(sub: {
  status: SubscriptionStatus;
  cancelAtPeriodEnd: boolean;
  stripeSubscriptionId?: string | null;
}): boolean {
  return !!sub.stripeSubscriptionId && !sub.cancelAtPeriodEnd && grantsAccess(sub.status);
}
