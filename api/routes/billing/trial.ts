import { z } from 'zod';
import { AppError, conflict } from '../../../domain/errors';
import { centsToDollars } from '../../../domain/money';
import { isValidContinuation, TRIAL_TIER } from '../../../domain/trial';
import { workflowIds } from '../../../workflows/ids';
import { changePlan } from '../../../workflows/messages';
import { defineRoute, type HandlerInput } from '../../route';
import { findCustomerFor } from '../../../services/customers/find-customer';
import { callWorkflow } from '../../../services/temporal/gateway';
import {
  findLiveSubscription,
  planChangeRequest,
  requireLive,
  resolvePlanPrice,
} from '../../../services/subscriptions/subscriptions';
import { cents, dollars, interval, timestamp } from '../response-types';

const continuationBody = z
  .object({
    tier_id: z.string().regex(/^[a-z0-9][a-z0-9_-]{0,63}$/, 'must be a plan code such as "professional"'),
    billing_cycle: z.enum(['monthly', 'yearly']).default('monthly'),
  })
  .strict();

const continuationResponse = z.object({
  success: z.literal(true),
  continuation: z.object({
    tier: z.string(),
    billing_cycle: z.enum(['monthly', 'yearly']),
    interval,
    amount: dollars,
    amount_cents: cents,
    effective_at: timestamp,
  }),
});

/**
 * Picks the plan a trial-tier trial becomes on day 7. The workflow keeps it as the subscription's pending
 * change, so `GET /billing/subscription` shows it as `pending_change` and picking again replaces it.
 */
async function chooseContinuation(
  input: HandlerInput<undefined, undefined, typeof continuationBody, 'viewer'>,
) {
  const { deps, identity, body } = input;
  const em = deps.orm.em.fork();
  const customer = await findCustomerFor(em, identity);
  const sub = requireLive(customer ? await findLiveSubscription(em, customer) : null);
  if (sub.status !== 'trialing' || sub.tier !== TRIAL_TIER) {
    throw conflict('not_in_trial', 'Only a running trial takes a plan to continue with', {
      status: sub.status,
    });
  }
  const price = await resolvePlanPrice(em, body.tier_id, body.billing_cycle);
  if (!isValidContinuation(price.plan.code, price.amountCents)) {
    throw new AppError(400, 'invalid_continuation', 'A trial continues with a paid plan', {
      field: 'body.tier_id',
    });
  }
  const result = await callWorkflow(deps, () =>
    deps.temporal.workflow
      .getHandle(workflowIds.subscription(sub.id))
      .executeUpdate(changePlan, { args: [planChangeRequest(price, 'period_end')] }),
  );
  return {
    success: true as const,
    continuation: {
      tier: result.tier,
      billing_cycle: price.interval === 'year' ? ('yearly' as const) : ('monthly' as const),
      interval: price.interval,
      amount: centsToDollars(price.amountCents),
      amount_cents: price.amountCents,
      effective_at: result.effectiveAt,
    },
  };
}

export const trialRoutes = [
  defineRoute({
    method: 'post',
    path: '/billing/trial/continuation',
    summary: 'Pick the plan the trial becomes on day 7 (without one, access ends then)',
    tags: ['billing'],
    access: 'viewer',
    body: continuationBody,
    response: continuationResponse,
    errors: {
      400: 'The plan is not a paid plan (invalid_continuation)',
      404: 'No subscription or plan',
      409: 'The subscription is not a running trial (not_in_trial)',
    },
    handler: chooseContinuation,
  }),
];
