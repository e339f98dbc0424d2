import type { z } from 'zod';
import { AuditEntry, Plan, Subscription } from '../../../db/entities';
import { newId } from '../../../db/ids';
import { pricesFor } from '../../../db/plan-prices';
import { AppError, notFound } from '../../../domain/errors';
import { FINAL_STATUSES } from '../../../domain/subscription-status';
import { catalogSyncWorkflow } from '../../../workflows';
import { catalogChanged } from '../../../workflows/messages';
import { workflowIds } from '../../../workflows/ids';
import { changePlan } from '../../../workflows/messages';
import type { AppDeps } from '../../deps';
import type { HandlerInput } from '../../route';
import { stripeConfigured } from '../../../services/customers/ensure-customer';
import { archivePlan, createPlan, updatePlan, type PlanChanges } from '../../../services/plans/manage-plans';
import { planDto } from '../../../services/plans/list-plans';
import { planChangeRequest } from '../../../services/subscriptions/subscriptions';
import { callWorkflow } from '../../../services/temporal/gateway';
import type { createPlanBody, migratePlanBody, planParams, updatePlanBody } from './schemas';

type Admin<P, B> = HandlerInput<P, undefined, B, 'admin'>;

/** New prices reach Stripe through the catalog-sync workflow (signal-with-start: no change is lost). */
async function syncStripe(deps: AppDeps): Promise<'started' | 'skipped'> {
  if (!stripeConfigured(deps.config)) return 'skipped';
  // Temporal keeps the signal until a worker comes, so only Temporal itself must answer.
  await callWorkflow(
    deps,
    () =>
      deps.temporal.workflow.signalWithStart(catalogSyncWorkflow, {
        workflowId: workflowIds.catalogSync(),
        taskQueue: deps.config.TEMPORAL_TASK_QUEUE,
        signal: catalogChanged,
      }),
    { needsWorker: false },
  );
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

/**
 * Moves grandfathered subscribers of older versions onto the current one, through each subscription's
 * workflow (at their period end unless asked otherwise). Repeatable: a subscriber already on the current
 * price is rejected by its workflow's validator and reported, not changed twice.
 */
export async function migratePlanHandler({
  deps,
  identity,
  params,
  body,
}: Admin<typeof planParams, typeof migratePlanBody>) {
  const em = deps.orm.em.fork();
  const current = await em.findOne(Plan, { code: params.plan_id, isCurrent: true });
  if (!current) throw notFound('plan', params.plan_id);
  const subs = await em.find(
    Subscription,
    {
      tier: params.plan_id,
      plan: { version: { $lt: current.version } },
      status: { $nin: [...FINAL_STATUSES] },
    },
    { populate: ['plan'] },
  );
  const migrated: string[] = [];
  const failed: { subscription_id: string; reason: string }[] = [];
  for (const sub of subs) {
    const { priceId, usagePriceId, amountCents, synced } = pricesFor(current, sub.interval);
    if (!synced || !priceId || amountCents == null) {
      failed.push({ subscription_id: sub.id, reason: 'plan_not_synced' });
      continue;
    }
    try {
      await callWorkflow(deps, () =>
        deps.temporal.workflow.getHandle(workflowIds.subscription(sub.id)).executeUpdate(changePlan, {
          args: [
            planChangeRequest(
              { plan: current, priceId, usagePriceId, amountCents, interval: sub.interval },
              body.when,
              `migrate:${sub.id}:v${current.version}`,
            ),
          ],
        }),
      );
      migrated.push(sub.id);
    } catch (err) {
      failed.push({
        subscription_id: sub.id,
        reason: err instanceof AppError ? err.message : 'workflow_unreachable',
      });
    }
  }
  em.create(AuditEntry, {
    id: newId('aud'),
    actorId: identity.sub,
    actorEmail: identity.email,
    action: 'plan.migrate',
    entityType: 'plan',
    entityId: current.code,
    before: { subscriptions: subs.map((s) => ({ id: s.id, version: s.plan.version })) },
    after: { version: current.version, when: body.when, migrated, failed },
  });
  await em.flush();
  return { plan_id: current.code, version: current.version, when: body.when, migrated, failed };
}
