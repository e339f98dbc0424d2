import { z } from 'zod';
import { BILLING_CYCLES, billingCycleOf } from '../../../domain/billing-cycle';
import { centsToDollars } from '../../../domain/money';
import { chooseTrialContinuation } from '../../../services/subscriptions/choose-trial-continuation';
import { defineRoute, type HandlerInput } from '../../routing/define-route';
import { cents, dollars, interval, timestamp } from '../response-types';

const continuationBody = z
  .object({
    tier_id: z.string().regex(/^[a-z0-9][a-z0-9_-]{0,63}$/, 'must be a plan code such as "professional"'),
    billing_cycle: z.enum(BILLING_CYCLES).default('monthly'),
  })
  .strict();

const continuationResponse = z.object({
  success: z.literal(true),
  continuation: z.object({
    tier: z.string(),
    billing_cycle: z.enum(BILLING_CYCLES),
    interval,
    amount: dollars,
    amount_cents: cents,
    effective_at: timestamp,
  }),
});

async function chooseContinuation({
  deps,
  identity,
  body,
}: HandlerInput<undefined, undefined, typeof continuationBody, 'viewer'>) {
  const { price, result } = await chooseTrialContinuation(deps, identity, {
    tierId: body.tier_id,
    billingCycle: body.billing_cycle,
  });
  return {
    success: true as const,
    continuation: {
      tier: result.tier,
      billing_cycle: billingCycleOf(price.interval),
      interval: price.interval,
      amount: centsToDollars(price.amountCents),
      amount_cents: price.amountCents,
      effective_at: result.effectiveAt,
    },
  };
}

/** Picks the plan a trial-tier trial becomes on day 7 (shown as the subscription's pending change). */
export const trialRoutes = [
  defineRoute({
    method: 'post',
    path: '/billing/trial/continuation',
    rateLimit: 'stripe',
    summary: 'Pick the plan the trial becomes on day 7 (without one, access ends then)',
    tags: ['billing'],
    access: 'viewer',
    body: continuationBody,
    fields: { tierId: 'body.tier_id', billingCycle: 'body.billing_cycle' },
    response: continuationResponse,
    errors: {
      400: 'The plan is not a paid plan (invalid_continuation)',
      404: 'No subscription or plan',
      409: 'The subscription is not a running trial (not_in_trial)',
    },
    handler: chooseContinuation,
  }),
];
