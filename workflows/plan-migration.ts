import { continueAsNew, proxyActivities, setHandler, sleep } from '@temporalio/workflow';
import type { Activities } from '../activities';
import {
  MIGRATION_BATCH,
  MIGRATION_BATCHES_PER_RUN,
  MIGRATION_PER_SECOND,
  batchPauseMs,
  type MigrationItemResult,
} from '../domain/plan-migration';
import { dbActivityOptions, stripeCallOptions } from './activity-options';
import { workflowIds } from './ids';
import { changePlan, planMigrationProgress, subscriptionState, type PlanMigrationTotals } from './messages';

type MigrationCandidate = Awaited<ReturnType<Activities['planMigrationBatch']>>['candidates'][number];

const db = proxyActivities<Activities>(dbActivityOptions);
// A move is an Update on the subscription's workflow, which may call Stripe: Stripe's patience and retries.
const moves = proxyActivities<Activities>(stripeCallOptions);

export interface PlanMigrationInput {
  migrationId: string;
  planCode: string;
  toVersion: number;
  when: 'now' | 'period_end';
  /**
   * Works out every move and makes none: the same pages, candidates and records, with each move
   * rehearsed from its workflow's state instead of asked of it. Nothing is paced, as nothing calls Stripe.
   */
  rehearsal?: boolean;
  /** Subscriptions moved at once (default MIGRATION_BATCH). */
  batchSize?: number;
  /** Moves a second at most (default MIGRATION_PER_SECOND for moves made now; none otherwise). */
  perSecond?: number;
  /** Carried across continue-as-new. */
  totals?: PlanMigrationTotals;
}

/**
 * Moves (or, as a rehearsal, works out moving) a plan's subscribers of older versions onto `toVersion`,
 * a batch at a time at a pace Stripe allows, each through its own subscription's workflow, recording who
 * moved and who could not and why. Crash-safe: a restarted worker picks up at the batch in flight, and
 * each subscription is moved and recorded once. Continues as new every few batches, so any book size
 * keeps a short history.
 */
export async function planMigrationWorkflow(input: PlanMigrationInput): Promise<PlanMigrationTotals> {
  const size = input.batchSize ?? MIGRATION_BATCH;
  // Only moves made now write to Stripe as they go; a rehearsal and moves at period end are not paced.
  const perSecond =
    input.perSecond ?? (input.rehearsal || input.when === 'period_end' ? 0 : MIGRATION_PER_SECOND);
  const totals: PlanMigrationTotals = input.totals ?? { moved: 0, failed: 0, afterId: null };
  setHandler(planMigrationProgress, () => totals);

  for (let batch = 0; batch < MIGRATION_BATCHES_PER_RUN; batch++) {
    const started = Date.now();
    const page = await db.planMigrationBatch({
      planCode: input.planCode,
      toVersion: input.toVersion,
      when: input.when,
      afterId: totals.afterId,
      limit: size,
    });
    if (page.candidates.length === 0) {
      await db.finishPlanMigration({ migrationId: input.migrationId });
      return totals;
    }
    const items = input.rehearsal
      ? await db.rehearsePlanMoves({
          planCode: input.planCode,
          toVersion: input.toVersion,
          when: input.when,
          stateQuery: subscriptionState.name,
          candidates: page.candidates.map((c) => ({
            ...c,
            workflowId: workflowIds.subscription(c.subscriptionId),
          })),
        })
      : await Promise.all(page.candidates.map(move));
    await db.recordPlanMigrationItems({ migrationId: input.migrationId, items });
    for (const i of items) totals[i.outcome] += 1;
    totals.afterId = page.lastId;
    const pause = batchPauseMs(items.length, perSecond, Date.now() - started);
    if (pause > 0) await sleep(pause);
  }
  return continueAsNew<typeof planMigrationWorkflow>({ ...input, totals });
}

/** One subscription moved through its workflow, or the reason it could not be. */
async function move(c: MigrationCandidate): Promise<MigrationItemResult> {
  const base = {
    subscriptionId: c.subscriptionId,
    fromVersion: c.fromVersion,
    amountCents: c.amountCents,
    newAmountCents: c.newAmountCents,
  };
  if (!c.request) return { ...base, outcome: 'failed', result: null, reason: c.reason };
  const done = await moves.movePlanSubscription({
    workflowId: workflowIds.subscription(c.subscriptionId),
    update: changePlan.name,
    request: c.request,
  });
  return { ...base, ...done };
}
