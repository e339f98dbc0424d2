import type { z } from 'zod';
import { catalogSyncWorkflow } from '../../../workflows';
import { catalogChanged } from '../../../workflows/catalog-sync';
import { workflowIds } from '../../../workflows/ids';
import type { AppDeps } from '../../deps';
import type { HandlerInput } from '../../route';
import { stripeConfigured } from '../../services/customer-onboarding';
import { archivePlan, createPlan, updatePlan, type PlanChanges } from '../../services/plan-admin';
import { planDto } from '../../services/plans';
import type { createPlanBody, planParams, updatePlanBody } from './schemas';

type Admin<P, B> = HandlerInput<P, undefined, B, 'admin'>;

/** New prices reach Stripe through the catalog-sync workflow (signal-with-start: no change is lost). */
async function syncStripe(deps: AppDeps): Promise<'started' | 'skipped'> {
  if (!stripeConfigured(deps.config)) return 'skipped';
  await deps.temporal.workflow.signalWithStart(catalogSyncWorkflow, {
    workflowId: workflowIds.catalogSync(),
    taskQueue: deps.config.TEMPORAL_TASK_QUEUE,
    signal: catalogChanged,
  });
  return 'started';
}

function changesOf(b: Partial<z.output<typeof updatePlanBody>>): PlanChanges {
  return {
    name: b.name,
    displayName: b.display_name,
    description: b.description,
    priceMonthlyCents: b.price_monthly_cents ?? b.price_monthly,
    priceYearlyCents: b.price_yearly_cents !== undefined ? b.price_yearly_cents : b.price_yearly,
    trialDays: b.trial_days,
    services: b.services,
    features: b.features,
    includedCredits: b.included_credits,
    overagePer1kCents: b.overage_price_per_1k_cents ?? b.overage_price_per_1k,
    dailyApiCalls: b.daily_api_calls,
  };
}

export async function createPlanHandler({ deps, identity, body }: Admin<undefined, typeof createPlanBody>) {
  const c = changesOf(body);
  const priceMonthlyCents = c.priceMonthlyCents ?? 0;
  const plan = await createPlan(deps.orm.em.fork(), identity, body.id, {
    ...c,
    displayName: body.display_name,
    priceMonthlyCents,
  });
  return { ...planDto(plan), stripe_sync: await syncStripe(deps) };
}

export async function updatePlanHandler({
  deps,
  identity,
  params,
  body,
}: Admin<typeof planParams, typeof updatePlanBody>) {
  const { plan, grandfathered } = await updatePlan(
    deps.orm.em.fork(),
    identity,
    params.plan_id,
    changesOf(body),
  );
  return { ...planDto(plan), grandfathered_subscribers: grandfathered, stripe_sync: await syncStripe(deps) };
}

export async function archivePlanHandler({ deps, identity, params }: Admin<typeof planParams, undefined>) {
  const plan = await archivePlan(deps.orm.em.fork(), identity, params.plan_id);
  return { ...planDto(plan), archived: true };
}
