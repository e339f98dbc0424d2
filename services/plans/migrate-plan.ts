import { WorkflowExecutionAlreadyStartedError, WorkflowFailedError } from '@temporalio/client';
import { Plan, PlanMigration, PlanMigrationItem } from '../../db/entities';
import { recordAudit } from '../../db/audit';
import { newId } from '../../db/ids';
import {
  countMigrationCandidates,
  migrationCounts,
  migrationItems,
  otherRunOpen,
  rehearsalComparison,
  sameMove,
} from '../../db/plan-migrations';
import { AppError, conflict, notFound } from '../../domain/errors';
import type { Identity } from '../../domain/identity';
import { migrationProgress } from '../../domain/plan-migration';
import { workflowIds } from '../../workflows/ids';
import type { CoreDeps } from '../deps';
import { callWorkflow } from '../temporal/gateway';
import { workflowType } from '../temporal/workflow-type';

interface RunAsk {
  planCode: string;
  toVersion: number;
  when: 'now' | 'period_end';
  kind: 'migration' | 'rehearsal';
  rehearsalId?: string;
}

/**
 * Starts moving a plan's subscribers of older versions onto its current version, as a durable workflow
 * (workflows/plan-migration.ts): batched, paced for Stripe, resumable, each subscription moved through its
 * own workflow (at period end unless asked otherwise). One migration of a plan runs at a time; a
 * subscriber already on the current price is refused by its workflow and reported, never changed twice.
 * As a rehearsal, the same run works out every move and makes none.
 */
export async function startPlanMigration(
  deps: CoreDeps,
  identity: Identity,
  planCode: string,
  body: { when: 'now' | 'period_end'; rehearse?: boolean },
) {
  const current = await deps.orm.em.fork().findOne(Plan, { code: planCode, isCurrent: true });
  if (!current) throw notFound('plan', planCode);
  return startRun(deps, identity, {
    planCode,
    toVersion: current.version,
    when: body.when,
    kind: body.rehearse ? 'rehearsal' : 'migration',
  });
}

/**
 * Turns a finished rehearsal into the migration it rehearsed: same plan, version and timing, each move
 * then compared with its rehearsal. Refused while it runs, and once the plan has a newer version than
 * the one it rehearsed.
 */
export async function approveRehearsal(deps: CoreDeps, identity: Identity, rehearsalId: string) {
  const em = deps.orm.em.fork();
  const rehearsal = await em.findOne(PlanMigration, { id: rehearsalId, kind: 'rehearsal' });
  if (!rehearsal) throw notFound('rehearsal', rehearsalId);
  if (rehearsal.status !== 'completed') {
    throw conflict('rehearsal_not_finished', 'The rehearsal is still running', { field: 'migration_id' });
  }
  const current = await em.findOne(Plan, { code: rehearsal.planCode, isCurrent: true });
  if (!current || current.version !== rehearsal.toVersion) {
    throw conflict(
      'rehearsal_outdated',
      `The rehearsal moved subscribers to version ${rehearsal.toVersion}; the plan is now at ${current?.version ?? 'none'}: rehearse again`,
      { field: 'migration_id' },
    );
  }
  return startRun(deps, identity, {
    planCode: rehearsal.planCode,
    toVersion: rehearsal.toVersion,
    when: rehearsal.when,
    kind: 'migration',
    rehearsalId,
  });
}

async function startRun(deps: CoreDeps, identity: Identity, ask: RunAsk) {
  const em = deps.orm.em.fork();
  const run = em.create(PlanMigration, {
    id: newId(ask.kind === 'rehearsal' ? 'prh' : 'pmig'),
    kind: ask.kind,
    rehearsalId: ask.rehearsalId ?? null,
    planCode: ask.planCode,
    toVersion: ask.toVersion,
    when: ask.when,
    status: 'running',
    candidates: await countMigrationCandidates(em, ask.planCode, ask.toVersion),
    startedById: identity.sub,
    startedByEmail: identity.email,
  });
  recordAudit(em, {
    actor: identity,
    action: ask.kind === 'rehearsal' ? 'plan.rehearse' : 'plan.migrate',
    entityType: 'plan',
    entityId: ask.planCode,
    after: {
      migration_id: run.id,
      version: ask.toVersion,
      when: ask.when,
      candidates: run.candidates,
      ...(ask.rehearsalId ? { rehearsal_id: ask.rehearsalId } : {}),
    },
  });
  // Stored before the start, so the run's last step always finds it; taken back if the start is refused.
  await em.flush();
  const rehearsal = ask.kind === 'rehearsal';
  const workflowId = rehearsal
    ? workflowIds.planRehearsal(ask.planCode)
    : workflowIds.planMigration(ask.planCode);
  const start = () =>
    callWorkflow(deps, () =>
      deps.temporal.workflow.start(workflowType('planMigrationWorkflow'), {
        workflowId,
        taskQueue: deps.config.TEMPORAL_TASK_QUEUE,
        args: [
          {
            migrationId: run.id,
            planCode: ask.planCode,
            toVersion: ask.toVersion,
            when: ask.when,
            ...(rehearsal ? { rehearsal } : {}),
          },
        ],
      }),
    );
  try {
    try {
      await start();
    } catch (err) {
      // The last run shows completed a moment before its workflow closes: an admin who starts the next
      // one in that moment waits for the close instead of being told a finished run is still running.
      if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
      if (await otherRunOpen(em, ask.planCode, ask.kind, run.id)) throw err;
      await callWorkflow(deps, () =>
        deps.temporal.workflow
          .getHandle(workflowId)
          .result()
          .then(
            () => undefined,
            // However it closed (terminated by an operator too), the plan is free again.
            (closed) => {
              if (!(closed instanceof WorkflowFailedError)) throw closed;
            },
          ),
      );
      await start();
    }
  } catch (err) {
    // Refused or never sent (Temporal or the worker missing): nothing runs, so nothing is kept. A start
    // that timed out may have happened, and keeps its row for the run to finish.
    const nothingStarted =
      err instanceof WorkflowExecutionAlreadyStartedError ||
      (err instanceof AppError && err.kind === 'unavailable');
    if (nothingStarted) await em.nativeDelete(PlanMigration, { id: run.id });
    if (err instanceof WorkflowExecutionAlreadyStartedError) {
      throw conflict(
        'migration_in_progress',
        `A ${rehearsal ? 'rehearsal' : 'migration'} of "${ask.planCode}" is still running`,
        { field: 'plan_id' },
      );
    }
    throw err;
  }
  return {
    ...run,
    progress: migrationProgress(run.candidates, 0, 0),
    items: [],
    nextCursor: null,
    comparison: null,
  };
}

/**
 * A migration's (or rehearsal's) progress and report: how many moved and failed of how many, a page of
 * its subscriptions (each with its versions, prices and, for a failure, why; a rehearsal's with what the
 * move would do), and for a migration approved from a rehearsal, how it compares with it.
 */
export async function planMigrationReport(
  deps: Pick<CoreDeps, 'orm'>,
  migrationId: string,
  page: { outcome?: 'moved' | 'failed'; after?: string; limit: number },
) {
  const em = deps.orm.em.fork();
  const migration = await em.findOne(PlanMigration, migrationId);
  if (!migration) throw notFound('migration', migrationId);
  const [counts, found] = await Promise.all([
    migrationCounts(em, migrationId),
    migrationItems(em, migrationId, {
      ...(page.outcome ? { outcome: page.outcome } : {}),
      afterId: page.after ?? null,
      limit: page.limit + 1,
    }),
  ]);
  const more = found.length > page.limit;
  const items = found.slice(0, page.limit);
  const rehearsalId = migration.rehearsalId ?? null;
  const rehearsed = rehearsalId
    ? await em.find(PlanMigrationItem, {
        migrationId: rehearsalId,
        subscriptionId: { $in: items.map((i) => i.subscriptionId) },
      })
    : [];
  const byId = new Map(rehearsed.map((r) => [r.subscriptionId, r]));
  return {
    ...migration,
    progress: migrationProgress(migration.candidates, counts.moved, counts.failed),
    items: items.map((i) => ({
      ...i,
      asRehearsed: rehearsalId ? sameMove(i, byId.get(i.subscriptionId)) : null,
    })),
    nextCursor: more ? (items.at(-1)?.subscriptionId ?? null) : null,
    comparison:
      rehearsalId && migration.status === 'completed'
        ? await rehearsalComparison(em, migrationId, rehearsalId)
        : null,
  };
}
