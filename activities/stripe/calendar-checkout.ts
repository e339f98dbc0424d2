import { ApplicationFailure } from '@temporalio/activity';
import type Stripe from 'stripe';
import { calendarTrialEnd, checkoutWindow, nextCalendarAnchor } from '../../domain/billing-anchor';
import { clockOf } from '../../domain/clock';
import { FAILURE } from '../../domain/failure-types';
import type { ActivityDeps } from '../deps';
import type { BillingAnchor } from '../../domain/billing-anchor';
import { stripeCall } from './errors';
import { requireStripe } from './require-stripe';

/**
 * Now as Stripe bills this customer: a customer on a test clock lives at the clock's time, anyone else at
 * ours. Asked only for calendar billing, whose anchor must lie ahead of Stripe's now and within a period.
 */
async function stripeNowFor(deps: ActivityDeps, stripe: Stripe, customerId: string): Promise<number> {
  const customer = await stripeCall(() => stripe.customers.retrieve(customerId, { expand: ['test_clock'] }));
  const clock = 'deleted' in customer && customer.deleted ? null : (customer as Stripe.Customer).test_clock;
  if (clock && typeof clock !== 'string') return clock.frozen_time;
  return Math.floor(clockOf(deps).now().getTime() / 1000);
}

/** What a Checkout session asks of calendar billing. */
export interface CalendarAsk {
  /** Calendar billing: periods turn over on the 1st, the first one prorated. Absent: anniversary. */
  billingAnchor?: BillingAnchor | null;
  /** Stripe's now for the customer (a test clock's time), read by its own activity; runs from before read it here. */
  stripeNowS?: number | null;
}

/** What calendar billing adds to a Checkout session and its subscription; all empty on anniversary billing. */
export interface CalendarCheckout {
  session: { expires_at?: number };
  /** With a trial: where it ends (on a 1st), in place of its days. */
  trialEnd: number | null;
  subscription: { billing_cycle_anchor?: number; proration_behavior?: 'create_prorations' };
}

/**
 * Checkout's terms for calendar billing. With a trial, the trial ends on a 1st (Checkout takes no anchor
 * beside a trial). Without one, the anchor is the next 1st, the days until it are prorated, and the
 * session closes before it passes.
 */
export async function calendarTerms(
  deps: ActivityDeps,
  stripe: Stripe,
  req: CalendarAsk & { trialDays: number; stripeCustomerId: string },
): Promise<CalendarCheckout> {
  if (req.billingAnchor !== 'calendar') return { session: {}, trialEnd: null, subscription: {} };
  const nowS = req.stripeNowS ?? (await stripeNowFor(deps, stripe, req.stripeCustomerId));
  if (req.trialDays > 0)
    return { session: {}, trialEnd: calendarTrialEnd(nowS, req.trialDays), subscription: {} };
  const anchorS = nextCalendarAnchor(nowS);
  const window = checkoutWindow(nowS, anchorS);
  if (!window.ok)
    throw ApplicationFailure.create({
      message: 'Calendar billing starts on the 1st, less than half an hour away',
      type: FAILURE.invalidRequest,
      nonRetryable: true,
    });
  return {
    session: window.expiresAtS ? { expires_at: window.expiresAtS } : {},
    trialEnd: null,
    subscription: { billing_cycle_anchor: anchorS, proration_behavior: 'create_prorations' },
  };
}

/** The read calendar billing needs before its Checkout session: now as Stripe bills the customer. */
export function createStripeClockActivities(deps: ActivityDeps) {
  async function stripeNowForCustomer(stripeCustomerId: string): Promise<number> {
    return stripeNowFor(deps, requireStripe(deps), stripeCustomerId);
  }
  return { stripeNowForCustomer };
}
