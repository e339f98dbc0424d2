import { z } from 'zod';
import { identifierText } from '../../validation/text-fields';

const tier = z.string().regex(/^[a-z0-9][a-z0-9_-]{0,63}$/, 'must be a plan code such as "professional"');
const cycle = z.enum(['monthly', 'yearly']).default('monthly');
const url = z.url().max(2000);

export const checkoutBody = z
  .object({ tier_id: tier, billing_cycle: cycle, success_url: url.optional(), cancel_url: url.optional() })
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
  })
  .strict();

export const cancelBody = z
  .object({
    at_period_end: z.boolean().default(true),
    /** Seed 004 names the subscription (ours or Stripe's id); it must be the caller's own. */
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
    billing_cycle: z.enum(['monthly', 'yearly']),
    interval: z.enum(['month', 'year']),
    amount: z.number(),
    amount_cents: z.number().int(),
    effective_at: z.iso.datetime(),
  })
  .describe('A plan change waiting for the period end; it survives a cancellation at period end and resume');

export const subscriptionResponse = z.object({
  subscription_id: z.string(),
  tier: z.string(),
  status: z.string(),
  current_period_start: z.iso.datetime().nullable(),
  current_period_end: z.iso.datetime().nullable(),
  trial_end: z.iso.datetime().nullable(),
  cancel_at_period_end: z.boolean(),
  amount: z.number(),
  amount_cents: z.number().int(),
  interval: z.enum(['month', 'year']),
  currency: z.string(),
  stripe_subscription_id: z.string().nullable(),
  pending_change: pendingChange.nullable(),
});

/** The seeds' "basic tier info" for a caller without a subscription: the free tier, nothing billed. */
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
