import type { BillingAnchor } from './billing-anchor';
import { arrCents, recurringAmountCents } from './plan-change';
import type { SubscriptionSnapshot } from './stripe-snapshots';
import { isFinal, type SubscriptionStatus } from './subscription-status';

/** The discount Stripe applies to a subscription's invoices, as the mirror keeps it. */
export interface StoredDiscount {
  couponId: string;
  promotionCodeId: string | null;
  start: string;
  end: string | null;
  /** The coupon's terms in the subscription's currency (domain/coupons.ts DiscountTerms), for estimates. */
  percentOffBp?: number | null;
  amountOffCents?: number | null;
  /** False for a `once` coupon, which recurring revenue leaves out (domain/plan-change.ts). */
  recurring?: boolean;
  /** The coupon's name, as customers read it ("Launch"). */
  name?: string;
}

/** A subscription's row in the mirror, as recording its state reads and writes it. */
export interface SubscriptionStateRow {
  id: string;
  customerId: string;
  planId: string;
  tier: string;
  status: SubscriptionStatus;
  interval: 'month' | 'year';
  amountCents: number;
  currency: string;
  stripeSubscriptionId: string | null;
  stripeSubscriptionItemId: string | null;
  stripePriceId: string | null;
  currentPeriodStart: Date | null;
  currentPeriodEnd: Date | null;
  trialEnd: Date | null;
  cancelAtPeriodEnd: boolean;
  awaitingCard: boolean;
  billingAnchor: BillingAnchor;
  seats: number;
  discount: StoredDiscount | null;
  netAmountCents: number | null;
  canceledAt: Date | null;
  endedAt: Date | null;
  arrCents: number;
  pendingTier: string | null;
  pendingInterval: 'month' | 'year' | null;
  pendingAmountCents: number | null;
  pendingEffectiveAt: Date | null;
}

const dateOf = (s: string | null) => (s ? new Date(s) : null);

/**
 * The row with Stripe's view of the subscription copied in and the status the workflow decided; without a
 * snapshot, the status alone. A discount is the engine's coupon id (Stripe's), its terms added later from
 * the coupon; a snapshot from before discounts were read leaves the row's alone.
 */
export function withSnapshot(
  row: SubscriptionStateRow,
  snap: SubscriptionSnapshot | null,
  status: SubscriptionStatus,
): SubscriptionStateRow {
  if (!snap) return { ...row, status };
  return {
    ...row,
    status,
    stripeSubscriptionId: snap.stripeSubscriptionId,
    stripeSubscriptionItemId: snap.itemId,
    stripePriceId: snap.priceId,
    amountCents: snap.amountCents ?? row.amountCents,
    seats: snap.quantity ?? row.seats,
    interval: snap.interval,
    currentPeriodStart: dateOf(snap.currentPeriodStart),
    currentPeriodEnd: dateOf(snap.currentPeriodEnd),
    trialEnd: dateOf(snap.trialEnd),
    cancelAtPeriodEnd: snap.cancelAtPeriodEnd,
    // Stripe's own `paused` (not a pause of collection) is a trial that ended without a card.
    awaitingCard: snap.status === 'paused',
    canceledAt: dateOf(snap.canceledAt),
    discount:
      snap.discount === undefined
        ? row.discount
        : snap.discount
          ? {
              couponId: snap.discount.stripeCouponId,
              promotionCodeId: snap.discount.stripePromotionCodeId,
              start: snap.discount.start,
              end: snap.discount.end,
            }
          : null,
  };
}

/**
 * What the row comes to at `now`: ended when its status is final (once), and its recurring revenue net of a
 * recurring discount (a coupon starting or ending is a change of it), annualized while it counts toward MRR.
 */
export function settled(row: SubscriptionStateRow, now: Date): SubscriptionStateRow {
  const netAmountCents = recurringAmountCents(row.amountCents, row.discount, now);
  return {
    ...row,
    endedAt: isFinal(row.status) && !row.endedAt ? now : row.endedAt,
    netAmountCents,
    arrCents: arrCents(row.status, { interval: row.interval, amountCents: netAmountCents }),
  };
}

/**
 * Whether the change is one revenue's history records: what it recurs at (net of discounts) before and
 * after, its price, its cycle, its status or its plan.
 */
export function isRecordedChange(before: SubscriptionStateRow, after: SubscriptionStateRow): boolean {
  return (
    (before.netAmountCents ?? before.amountCents) !== after.netAmountCents ||
    before.amountCents !== after.amountCents ||
    before.interval !== after.interval ||
    before.status !== after.status ||
    before.tier !== after.tier
  );
}

/** The columns a recorded state may change, as they are named in the row. */
export const WRITTEN_FIELDS = [
  'status',
  'stripeSubscriptionId',
  'stripeSubscriptionItemId',
  'stripePriceId',
  'amountCents',
  'seats',
  'interval',
  'currentPeriodStart',
  'currentPeriodEnd',
  'trialEnd',
  'cancelAtPeriodEnd',
  'awaitingCard',
  'canceledAt',
  'discount',
  'planId',
  'tier',
  'currency',
  'endedAt',
  'netAmountCents',
  'arrCents',
] as const satisfies readonly (keyof SubscriptionStateRow)[];

export type WrittenField = (typeof WRITTEN_FIELDS)[number];

/** JSON with its keys sorted: two discounts are the same whatever order their keys were stored in. */
function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (v && typeof v === 'object')
    return `{${Object.keys(v)
      .sort()
      .filter((k) => (v as Record<string, unknown>)[k] !== undefined)
      .map((k) => `${JSON.stringify(k)}:${canonical((v as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  return JSON.stringify(v ?? null);
}

function same(a: unknown, b: unknown): boolean {
  if (a instanceof Date || b instanceof Date)
    return a instanceof Date && b instanceof Date ? a.getTime() === b.getTime() : false;
  if ((a && typeof a === 'object') || (b && typeof b === 'object')) return canonical(a) === canonical(b);
  return a === b;
}

/** The written fields whose value the change moves: only these are written, so nothing else is overwritten. */
export function changedFields(before: SubscriptionStateRow, after: SubscriptionStateRow): WrittenField[] {
  return WRITTEN_FIELDS.filter((f) => !same(before[f], after[f]));
}
