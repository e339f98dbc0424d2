import { Plan, Subscription } from '../../db/entities';
import { pricesFor } from '../../db/plan-prices';
import { AppError, notFound } from '../../domain/errors';
import type { Identity } from '../../domain/identity';
import { FINAL_STATUSES } from '../../domain/subscription-status';
import { workflowIds } from '../../workflows/ids';
import { changePlan } from '../../workflows/messages';
import type { CoreDeps } from '../deps';
import { planChangeRequest, priceForSeats } from '../subscriptions/plan-price';
import { callWorkflow } from '../temporal/gateway';
import { recordAudit } from '../../db/audit';

/**
 * Moves grandfathered subscribers of older versions onto the current one, through each subscription's
 * workflow (at their period end unless asked otherwise). Repeatable: a subscriber already on the current
 * price is rejected by its workflow's validator and reported, not changed twice. Audited as one entry.
 */
export async function migratePlan(
  deps: CoreDeps,
  identity: Identity,
  planCode: string,
  body: { when: 'now' | 'period_end' },
) {
  const em = deps.orm.em.fork();
  const current = await em.findOne(Plan, { code: planCode, isCurrent: true });
  if (!current) throw notFound('plan', planCode);
  const subs = await em.find(
    Subscription,
    {
      tier: planCode,
      plan: { version: { $lt: current.version } },
      status: { $nin: [...FINAL_STATUSES] },
    },
    { populate: ['plan'] },
  );
  const migrated: string[] = [];
  const failed: { subscriptionId: string; reason: string }[] = [];
  for (const sub of subs) {
    const { priceId, usagePriceId, amountCents, synced } = pricesFor(current, sub.interval, sub.currency);
    if (!synced || !priceId || amountCents == null) {
      failed.push({ subscriptionId: sub.id, reason: 'plan_not_synced' });
      continue;
    }
    try {
      // On a plan priced per seat the subscription's seats move with it (refused when they no longer fit).
      const price = priceForSeats(
        { plan: current, priceId, usagePriceId, amountCents, interval: sub.interval, currency: sub.currency },
        sub,
      );
      await callWorkflow(deps, () =>
        deps.temporal.workflow.getHandle(workflowIds.subscription(sub.id)).executeUpdate(changePlan, {
          args: [planChangeRequest(price, body.when, `migrate:${sub.id}:v${current.version}`)],
        }),
      );
      migrated.push(sub.id);
    } catch (err) {
      failed.push({
        subscriptionId: sub.id,
        reason: err instanceof AppError ? err.message : 'workflow_unreachable',
      });
    }
  }
  recordAudit(em, {
    actor: identity,
    action: 'plan.migrate',
    entityType: 'plan',
    entityId: current.code,
    before: { subscriptions: subs.map((s) => ({ id: s.id, version: s.plan.version })) },
    after: { version: current.version, when: body.when, migrated, failed: failed.map(failureImage) },
  });
  await em.flush();
  return { planCode: current.code, version: current.version, when: body.when, migrated, failed };
}

/** A subscription the migration could not move, as the audit entry has always stored it. */
function failureImage(f: { subscriptionId: string; reason: string }) {
  return { subscription_id: f.subscriptionId, reason: f.reason };
}
