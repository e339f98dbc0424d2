import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { SubscriptionStatus } from '../domain/subscription-status';
import type { AttachedCard } from '../domain/subscription';

/** A Stripe event as the API forwards it: just what routing and ordering need. */
export interface StripeEventSignal {
  id: string;
  type: string;
  /** Unix seconds, from the event. */
  created: number;
  objectId: string;
  stripeSubscriptionId: string | null;
  hostedInvoiceUrl?: string | null;
}

export const stripeEvent = defineSignal<[StripeEventSignal]>('stripeEvent');

/**
 * Told to a mirror run of one Stripe object (a charge, an invoice) when another event of that object
 * arrives: the run reads the object once more after the read in progress, so no read older than the
 * event is the mirror's final word.
 */
export const mirrorAgain = defineSignal('mirrorAgain');

export interface CheckoutResult {
  sessionId: string;
  url: string;
}
export interface CheckoutUrls {
  successUrl: string;
  cancelUrl: string;
  /** Stripe's id of the promotion code the customer typed (checked by the API); absent for none. */
  promotionCodeId?: string | null;
}
export const beginCheckout = defineUpdate<CheckoutResult, [CheckoutUrls]>('beginCheckout');

export interface PlanChangeRequest {
  planCode: string;
  planId: string;
  priceId: string;
  /** The plan version's metered overage price for this cycle; null when the plan bills no overage. */
  usagePriceId?: string | null;
  amountCents: number;
  interval: 'month' | 'year';
  /** `now` prorates at once; `period_end` switches at renewal. Upgrades default to now, downgrades to period end. */
  when: 'now' | 'period_end';
  requestId: string;
  /** Stripe's id of a promotion code the customer typed with a change made now (checked by the API). */
  promotionCodeId?: string | null;
}
export interface PlanChangeResult {
  status: 'applied' | 'scheduled';
  effectiveAt: string;
  tier: string;
  /** The change that was waiting for period end and that this one replaced; null when none was. */
  replacedPendingChange?: PendingChange | null;
}
export const changePlan = defineUpdate<PlanChangeResult, [PlanChangeRequest]>('changePlan');

/**
 * A new count of seats. The run decides against the seats Stripe last showed it whether the change is
 * invoiced now (more) or credited on the next invoice (fewer); `invoiceNow` is what callers before that
 * sent, read only when the run has no count of its own yet.
 */
export interface SeatChangeRequest {
  seats: number;
  invoiceNow?: boolean;
  requestId: string;
}
/** The view after the change, with the seats it was made against and whether it was invoiced now. */
export interface SeatChangeResult extends SubscriptionView {
  previousSeats?: number;
  invoicedNow?: boolean;
}
export const changeSeats = defineUpdate<SeatChangeResult, [SeatChangeRequest]>('changeSeats');

export interface CancelRequest {
  atPeriodEnd: boolean;
  requestId: string;
}
export interface CancelResult extends SubscriptionView {
  /** A pending plan change the cancellation ended (cancel now); one at period end stays pending. */
  canceledPendingChange?: PendingChange | null;
}
export const cancelSubscription = defineUpdate<CancelResult, [CancelRequest]>('cancelSubscription');
export const resumeSubscription = defineUpdate<SubscriptionView, [{ requestId: string }]>(
  'resumeSubscription',
);
/**
 * Withdraws the plan change scheduled for period end; answers the change withdrawn (null when it was
 * applied or replaced between the validator and the handler's turn).
 */
export const cancelPendingChange = defineUpdate<
  { canceledPendingChange: PendingChange | null; view: SubscriptionView },
  [{ requestId: string }]
>('cancelPendingChange');
export const pauseSubscription = defineUpdate<SubscriptionView, [{ paused: boolean; requestId: string }]>(
  'pauseSubscription',
);

/** An admin puts a coupon on the subscription's invoices, or takes it off (null). */
export const setDiscount = defineUpdate<SubscriptionView, [{ couponId: string | null; requestId: string }]>(
  'setDiscount',
);

/** Sent by a dunning child to its subscription. */
export interface DunningReport {
  stripeInvoiceId: string;
  outcome: 'suspend' | 'recovered' | 'exhausted' | 'stopped';
  /** What the run's own policy says to do once exhausted (a run keeps the policy it started with). */
  finalAction?: 'cancel' | 'mark_unpaid';
}
export const dunningReport = defineSignal<[DunningReport]>('dunningReport');

/** Sent to a dunning run: the invoice got paid, or a new card arrived (retry now). */
export const invoicePaid = defineSignal('invoicePaid');
/**
 * A card was added to the customer: dunning retries at once, with that card. The card is named because
 * Stripe announces it attached before the engine has made it the default that an invoice would use.
 */
export const paymentMethodAttached = defineSignal<[{ paymentMethodId: string }?]>('paymentMethodAttached');

/** Where a dunning run stands (its `dunningStatus` query); times are ISO 8601. */
export interface DunningStatus {
  stripeInvoiceId: string;
  email: string;
  startedAt: string;
  /** The retry being waited for or made (1-based), of how many the run's policy allows. */
  attempt: number;
  attempts: number;
  nextAttemptAt: string | null;
  suspendAt: string;
  suspended: boolean;
  /** Retries made so far. */
  retriesMade: number;
}
export const dunningStatus = defineQuery<DunningStatus>('dunningStatus');

export interface PendingChange {
  planCode: string;
  planId: string;
  priceId: string;
  usagePriceId?: string | null;
  amountCents: number;
  interval: 'month' | 'year';
  effectiveAt: string;
  requestId: string;
}

export interface SubscriptionView {
  subscriptionId: string;
  customerId: string;
  email: string;
  status: SubscriptionStatus;
  tier: string;
  interval: 'month' | 'year';
  amountCents: number;
  stripeSubscriptionId: string | null;
  stripeCustomerId: string | null;
  itemId: string | null;
  /** The plan item's quantity as Stripe last showed it: the seats on a plan priced per seat. */
  seats?: number;
  /** The metered item that bills overage, when the subscription has one. */
  usageItemId?: string | null;
  /** The Stripe price the subscription is on (a plan version and cycle). */
  priceId?: string | null;
  currentPeriodStart: string | null;
  currentPeriodEnd: string | null;
  trialEnd: string | null;
  cancelAtPeriodEnd: boolean;
  pendingChange: PendingChange | null;
  dunningInvoices: string[];
  /** The card Stripe last announced attached: a failure heard of after it may still be retried with it. */
  lastCardAttached?: AttachedCard | null;
  trialReminderSent: boolean;
  /** Its trial ended without a card and Stripe paused it: a card added resumes it (domain/trial.ts). */
  awaitingCard?: boolean;
  /** Keycloak or Lago syncs that failed for good, until one of that system succeeds again. */
  syncFailures?: { system: 'keycloak' | 'lago'; error: string; at: string }[];
}
export const subscriptionState = defineQuery<SubscriptionView>('subscriptionState');

/** Sent to `catalog-sync` on every plan change: one more pass once the running one ends. */
export const catalogChanged = defineSignal('catalogChanged');

/** What the usage rollup loop has done so far (its `usageRollupStatus` query). */
export interface UsageRollupTotals {
  cycles: number;
  events: number;
  rollups: number;
  stripeReported: number;
  lagoReported: number;
  failedCycles: number;
  /** When the last cycle ended, and when one last failed and why (workflow time, ISO 8601). */
  lastCycleAt?: string;
  lastFailureAt?: string;
  lastError?: string;
}
export const usageRollupStatus = defineQuery<UsageRollupTotals>('usageRollupStatus');

/** Where a plan migration has got to (its `planMigrationProgress` query), counted over all its runs. */
export interface PlanMigrationTotals {
  moved: number;
  failed: number;
  /** The last subscription id handled: the next page starts after it. */
  afterId: string | null;
}
export const planMigrationProgress = defineQuery<PlanMigrationTotals>('planMigrationProgress');
