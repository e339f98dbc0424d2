import { z } from 'zod';
import { returnPageUrl } from '../../validation/return-url';
import { BILLING_CYCLES } from '../../../domain/billing-cycle';
import { BILLING_ANCHORS } from '../../../domain/billing-anchor';
import { MAX_SEATS } from '../../../domain/seats';
import { identifierText } from '../../validation/text-fields';
import { cents, currencyCode, dollars, interval, subscriptionStatus, timestamp } from '../response-types';

const tier = z.string().regex(/^[a-z0-9][a-z0-9_-]{0,63}$/, 'must be a plan code such as "professional"');
const cycle = z.enum(BILLING_CYCLES).default('monthly');
const url = returnPageUrl;

/** The paid plan a trial becomes on day 7; without one, access ends then. */
export const trialContinuation = z
  .object({ tier_id: tier, billing_cycle: cycle })
  .strict()
  .describe('The paid plan the trial becomes on day 7, billed then without a new checkout');

/** A promotion code as typed: letters, digits, - and _, compared without case by the engine. */
const promotionCode = z
  .string()
  .trim()
  .regex(/^[A-Za-z0-9][A-Za-z0-9_-]{0,39}$/, 'must be letters, digits, - or _ (40 at most)');

export const checkoutBody = z
  .object({
    tier_id: tier,
    billing_cycle: cycle,
    /** Trial tier only: picked at signup; it can be changed during the trial. */
    continuation: trialContinuation.optional(),
    success_url: url.optional(),
    cancel_url: url.optional(),
    /** A promotion code the customer typed; refused with the reason's code when it cannot be used. */
    promotion_code: promotionCode.optional(),
    /**
     * The currency to pay in (`eur`); without it, the one the account already pays in, else the plan's own.
     * Fixed by the first checkout that goes through.
     */
    currency: z.string().max(8).optional(),
    /**
     * `calendar`: periods turn over on the 1st of the month, 00:00 UTC, the first one prorated;
     * `anniversary`: on the day the subscription starts. Without it, the plan's.
     */
    billing_anchor: z.enum(BILLING_ANCHORS).optional(),
    /** On a plan priced per seat: how many (the plan's minimum when absent). Refused on any other plan. */
    seats: z.number().int().min(1).max(MAX_SEATS).optional(),
  })
  .strict();

export const portalBody = z.object({ return_url: url.optional() }).strict();

export const upgradeBody = z
  .object({
    new_tier_id: tier,
    billing_cycle: cycle,
    /** Default: upgrades now (prorated), downgrades at period end. */
    when: z.enum(['now', 'period_end']).optional(),
    /** Only compute what the change would cost now; change nothing. */
    preview: z.boolean().default(false),
    /** A promotion code for the new plan, with a change made now; refused with the reason's code. */
    promotion_code: promotionCode.optional(),
  })
  .strict();

export const cancelBody = z
  .object({
    at_period_end: z.boolean().default(true),
    /** Clients may name the subscription (ours or Stripe's id); it must be the caller's own. */
    subscription_id: identifierText(200).optional(),
  })
  .strict();

export const emptyBody = z.object({}).strict();

export const attachPaymentMethodBody = z
  .object({
    payment_method_id: z.string().regex(/^pm_[A-Za-z0-9_]+$/),
    make_default: z.boolean().default(true),
  })
  .strict();

const pendingChange = z
  .object({
    tier: z.string(),
    billing_cycle: z.enum(BILLING_CYCLES),
    interval: z.enum(['month', 'year']),
    amount: dollars,
    amount_cents: cents,
    effective_at: timestamp,
  })
  .describe('A plan change waiting for the period end; it survives a cancellation at period end and resume');

export const subscriptionResponse = z.object({
  subscription_id: z.string(),
  tier: z.string(),
  status: subscriptionStatus,
  current_period_start: timestamp.nullable(),
  current_period_end: timestamp.nullable(),
  trial_end: timestamp.nullable(),
  cancel_at_period_end: z.boolean(),
  /** Its trial ended without a card: paused, without access, until one is added (which resumes and bills it). */
  awaiting_card: z.boolean(),
  /** `calendar`: its periods turn over on the 1st of the month, 00:00 UTC; else `anniversary`. */
  billing_anchor: z.enum(BILLING_ANCHORS),
  /** The units its price is billed for: the seats on a plan priced per seat, else 1. */
  seats: z.number().int(),
  amount: dollars,
  amount_cents: cents,
  interval,
  currency: currencyCode,
  stripe_subscription_id: z.string().nullable(),
  /** The coupon on the subscription's invoices: until `end`, or with no end every invoice (forever) or the next (once). */
  discount: z
    .object({
      coupon_id: z.string(),
      /** The coupon's name, as customers read it; null until the mirror has read the coupon. */
      coupon_name: z.string().nullable(),
      start: timestamp,
      end: timestamp.nullable(),
      /** What it takes off each invoice: a percentage, or cents in the subscription's currency. */
      percent_off: z.number().nullable(),
      amount_off_cents: cents.nullable(),
    })
    .nullable(),
  pending_change: pendingChange.nullable(),
});

/** The answer for a caller without a subscription: the free tier, nothing billed. */
export const noSubscriptionResponse = z.object({
  subscription_id: z.null(),
  tier: z.literal('free'),
  status: z.literal('none'),
  current_period_start: z.null(),
  current_period_end: z.null(),
  trial_end: z.null(),
  cancel_at_period_end: z.literal(false),
  amount: z.literal(0),
  amount_cents: z.literal(0),
  interval: z.null(),
  currency: z.null(),
  stripe_subscription_id: z.null(),
  pending_change: z.null(),
});

export const checkoutResponse = z.object({
  checkout_url: z.url(),
  session_id: z.string(),
  subscription_id: z.string(),
});

export const portalResponse = z.object({ portal_url: z.url() });

export const subscriptionStatusResponse = z.union([
  subscriptionResponse.extend({ has_subscription: z.literal(true) }),
  z.object({ has_subscription: z.literal(false), tier: z.null(), status: z.literal('none') }),
]);

export const upgradeResponse = z.union([
  z
    .object({
      preview: z.literal(true),
      when: z.enum(['now', 'period_end']),
      new_tier: z.string(),
      credit_cents: cents,
      charge_cents: cents,
      /** What the subscription's coupon takes off the credit and the charge, out of amount_due_now already. */
      discount_cents: cents,
      amount_due_now_cents: cents.nonnegative(),
      amount_due_now: dollars.nonnegative(),
      next_amount_cents: cents,
    })
    .describe('preview: true: what the change would cost now; nothing was changed'),
  z.object({
    success: z.literal(true),
    status: z.enum(['applied', 'scheduled']),
    new_tier: z.string(),
    effective_at: timestamp,
    replaced_pending_change: pendingChange.nullable(),
  }),
]);

export const cancelResponse = z.object({
  success: z.literal(true),
  status: subscriptionStatus,
  cancel_at_period_end: z.boolean(),
  current_period_end: timestamp.nullable(),
  pending_change: pendingChange.nullable(),
  canceled_pending_change: pendingChange.nullable(),
});

export const pauseResponse = z.object({
  success: z.literal(true),
  status: subscriptionStatus,
  tier: z.string(),
});

export const withdrawPendingResponse = z.object({
  success: z.literal(true),
  status: subscriptionStatus,
  tier: z.string(),
  canceled_pending_change: pendingChange,
});

export const resumeResponse = z.object({
  success: z.literal(true),
  status: subscriptionStatus,
  cancel_at_period_end: z.boolean(),
  pending_change: pendingChange.nullable(),
});

const paymentMethodId = z.string().regex(/^pm_[A-Za-z0-9_]{1,200}$/, 'must be a card id such as "pm_123"');

export const paymentMethodParams = z.object({ id: paymentMethodId }).strict();

export const cardSetupBody = z.object({ success_url: url.optional(), cancel_url: url.optional() }).strict();

export const paymentMethodResponse = z.object({
  id: z.string(),
  type: z.string(),
  card: z.object({
    brand: z.string().nullable(),
    last4: z.string().nullable(),
    exp_month: z.number().int().nullable(),
    exp_year: z.number().int().nullable(),
  }),
  /** The card that pays: the customer's chosen default, else the card their live subscription is charged with. */
  is_default: z.boolean(),
  created: timestamp,
});

export const paymentMethodsResponse = z.array(paymentMethodResponse);

export const defaultPaymentMethodResponse = z.object({
  success: z.literal(true),
  payment_method: paymentMethodResponse,
});

export const removePaymentMethodResponse = z.object({
  success: z.literal(true),
  payment_method_id: z.string(),
  deleted: z.literal(true),
});

export const cardSetupResponse = z.object({ checkout_url: z.url(), session_id: z.string() });

export const attachPaymentMethodResponse = z.object({
  success: z.literal(true),
  payment_method_id: z.string(),
  card: z.object({ brand: z.string().nullable(), last4: z.string().nullable() }),
  is_default: z.boolean(),
});
