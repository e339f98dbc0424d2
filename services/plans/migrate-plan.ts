import { WorkflowExecutionAlreadyStartedError } from '@temporalio/client';
import { Plan, PlanMigration } from '../../db/entities';
import { recordAudit } from '../../db/audit';
import { newId } from '../../db/ids';
import { countMigrationCandidates, migrationCounts, migrationItems } from '../../db/plan-migrations';
import { AppError, conflict, notFound } from '../../domain/errors';
import type { Identity } from '../../domain/identity';
import { migrationProgress } from '../../domain/plan-migration';
import { workflowIds } from '../../workflows/ids';
import type { CoreDeps } from '../deps';
import { callWorkflow } from '../temporal/gateway';
import { workflowType } from '../temporal/workflow-type';

/**
 * Starts moving a plan's subscribers of older versions onto its current version, as a durable workflow
 * (workflows/plan-migration.ts): batched, paced for Stripe, resumable, each subscription moved through its
 * own workflow (at period end unless asked otherwise). One migration of a plan runs at a time; a
 * subscriber already on the current price is refused by its workflow and reported, never changed twice.
 */
export async function startPlanMigration(
  deps: CoreDeps,
  identity: Identity,
  planCode: string,
  body: { when: 'now' | 'period_end' },
) {
  const em = deps.orm.em.fork();
  const current = await em.findOne(Plan, { code: planCode, isCurrent: true });
  if (!current) throw notFound('plan', planCode);
  const migration = em.create(PlanMigration, {
    id: newId('pmig'),
    planCode,
    toVersion: current.version,
    when: body.when,
    status: 'running',
    candidates: await countMigrationCandidates(em, planCode, current.version),
    startedById: identity.sub,
    startedByEmail: identity.email,
  });
  recordAudit(em, {
    actor: identity,
    action: 'plan.migrate',
    entityType: 'plan',
    entityId: planCode,
    after: {
      migration_id: migration.id,
      version: current.version,
      when: body.when,
      candidates: migration.candidates,
    },
  });
  // Stored before the start, so the run's last step always finds it; taken back if the start is refused.
  await em.flush();
  try {
    await callWorkflow(deps, () =>
      deps.temporal.workflow.start(workflowType('planMigrationWorkflow'), {
        workflowId: workflowIds.planMigration(planCode),
        taskQueue: deps.config.TEMPORAL_TASK_QUEUE,
        args: [{ migrationId: migration.id, planCode, toVersion: current.version, when: body.when }],
      }),
    );
  } catch (err) {
    // Refused or never sent (Temporal or the worker missing): nothing runs, so nothing is kept. A start
    // that timed out may have happened, and keeps its row for the run to finish.
    const nothingStarted =
      err instanceof WorkflowExecutionAlreadyStartedError ||
      (err instanceof AppError && err.kind === 'unavailable');
    if (nothingStarted) await em.nativeDelete(PlanMigration, { id: migration.id });
    if (err instanceof WorkflowExecutionAlreadyStartedError) {
      throw conflict('migration_in_progress', `A migration of "${planCode}" is still running`, {
        field: 'plan_id',
      });
    }
    throw err;
  }
  return { ...migration, progress: migrationProgress(migration.candidates, 0, 0) };
}

/**
 * A migration's progress and report: how many moved and failed of how many, and a page of its
 * subscriptions (each with its versions, prices and, for a failure, why).
 */
export async function planMigrationReport(
  deps: Pick<CoreDeps, 'orm'>,
  migrationId: string,
  page: { outcome?: 'moved' | 'failed'; after?: string; limit: number },
) {
  const em = deps.orm.em.fork();
  const migration = await em.findOne(PlanMigration, migrationId);
  if (!migration) throw notFound('migration', migrationId);
  const [counts, items] = await Promise.all([
    migrationCounts(em, migrationId),
    migrationItems(em, migrationId, {
      ...(page.outcome ? { outcome: page.outcome } : {}),
      afterId: page.after ?? null,
      limit: page.limit + 1,
    }),
  ]);
  const more = items.length > page.limit;
  return {
    ...migration,
    progress: migrationProgress(migration.candidates, counts.moved, counts.failed),
    items: items.slice(0, page.limit),
    nextCursor: more ? (items[page.limit - 1]?.subscriptionId ?? null) : null,
  };
}
