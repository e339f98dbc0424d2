import { Context } from '@temporalio/activity';
import { WorkflowNotFoundError, WorkflowUpdateFailedError } from '@temporalio/client';
import { ActivityFailure } from '@temporalio/common';
import {
  finishMigration,
  migrationCandidates,
  recordMigrationItems,
  type CandidatePage,
} from '../db/plan-migrations';
import { clockOf } from '../domain/clock';
import type { MigrationItemResult } from '../domain/plan-migration';
import type { PlanChangeRequest, PlanChangeResult } from '../workflows/messages';
import type { ActivityDeps } from './deps';

/** What moving one subscription came to: moved (and how), or refused with the reason. */
export type MoveOutcome = Pick<MigrationItemResult, 'outcome' | 'result' | 'reason'>;

/** The steps of a plan migration (workflows/plan-migration.ts): a page to move, one move, a record. */
export function createPlanMigrationActivities(deps: ActivityDeps) {
  const { orm } = deps;
  const clock = clockOf(deps);

  /** The next page of subscribers of older versions, each with its Update or why it cannot move. */
  function planMigrationBatch(page: CandidatePage) {
    return migrationCandidates(orm.em.fork(), page);
  }

  /**
   * Asks the subscription's workflow to change plan, through the worker's own Temporal client. The
   * Update's id is the request's, so an attempt retried after the first landed gets the first's answer.
   * A refusal (the validator's reason, Stripe refusing the change, a workflow no longer running) is an
   * outcome to report, not a failure to retry.
   */
  async function movePlanSubscription(input: {
    workflowId: string;
    update: string;
    request: PlanChangeRequest;
  }): Promise<MoveOutcome> {
    const handle = Context.current().client.workflow.getHandle(input.workflowId);
    try {
      const done = await handle.executeUpdate<PlanChangeResult, [PlanChangeRequest]>(input.update, {
        args: [input.request],
        updateId: input.request.requestId,
      });
      return { outcome: 'moved', result: done.status, reason: null };
    } catch (err) {
      if (err instanceof WorkflowUpdateFailedError) {
        const reason =
          err.cause instanceof ActivityFailure
            ? 'The payment provider refused the change'
            : (err.cause?.message ?? err.message);
        return { outcome: 'failed', result: null, reason };
      }
      if (err instanceof WorkflowNotFoundError) {
        return { outcome: 'failed', result: null, reason: 'The subscription has no running workflow' };
      }
      throw err;
    }
  }

  /** Records a batch's outcomes; a retried batch records nothing twice. */
  async function recordPlanMigrationItems(input: { migrationId: string; items: MigrationItemResult[] }) {
    return recordMigrationItems(orm.em.fork(), input.migrationId, input.items, clock.now());
  }

  /** Marks the migration done, with one audit entry of what it did. */
  function finishPlanMigration(input: { migrationId: string }) {
    return finishMigration(orm.em.fork(), input.migrationId, clock.now());
  }

  return { planMigrationBatch, movePlanSubscription, recordPlanMigrationItems, finishPlanMigration };
}
