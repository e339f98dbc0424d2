import { Context } from '@temporalio/activity';
import { WorkflowNotFoundError, WorkflowUpdateFailedError, type WorkflowHandle } from '@temporalio/client';
import { ActivityFailure } from '@temporalio/common';
import {
  finishMigration,
  migrationCandidates,
  recordMigrationItems,
  rehearsalContexts,
  type CandidatePage,
  type MigrationCandidate,
} from '../db/plan-migrations';
import { priceChangeParams } from '../integrations/stripe/price-change';
import { prorationPreview } from '../domain/plan-change-proration';
import { planChangeRefusal } from '../domain/subscription';
import { clockOf } from '../domain/clock';
import { rehearseMove, type MigrationItemResult, type RehearsalDetail } from '../domain/plan-migration';
import type { PlanChangeRequest, PlanChangeResult, SubscriptionView } from '../workflows/messages';
import type { ActivityDeps } from './deps';

/**
 * The state of a subscription's workflow while it runs; null when it has ended or never was. A query
 * answers for an ended workflow too (from its history), but an Update is refused there, so a rehearsal
 * must not count on one.
 */
async function runningState(handle: WorkflowHandle, stateQuery: string): Promise<SubscriptionView | null> {
  try {
    const [described, state] = await Promise.all([
      handle.describe(),
      handle.query<SubscriptionView>(stateQuery),
    ]);
    return described.status.name === 'RUNNING' ? state : null;
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return null;
    throw err;
  }
}

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

  /**
   * Works out what moving each subscription of a page would do, changing nothing: the workflow's own
   * state (read by its query) judged by the rule its validator applies, the proration Stripe would
   * invoice, the call the change would send, and the credits and entitlements it would change.
   */
  async function rehearsePlanMoves(input: {
    planCode: string;
    toVersion: number;
    when: 'now' | 'period_end';
    /** The subscription workflow's state query, by name. */
    stateQuery: string;
    candidates: (MigrationCandidate & { workflowId: string })[];
  }): Promise<(MigrationItemResult & { detail: RehearsalDetail })[]> {
    const now = clock.now();
    const contexts = await rehearsalContexts(
      orm.em.fork(),
      input.candidates.map((c) => c.subscriptionId),
      input,
      now,
    );
    const client = Context.current().client;
    return Promise.all(
      input.candidates.map(async (c) => {
        const ctx = contexts.get(c.subscriptionId);
        if (!ctx) throw new Error(`subscription ${c.subscriptionId} vanished from the mirror`);
        const state = await runningState(client.workflow.getHandle(c.workflowId), input.stateQuery);
        const req = c.request;
        const refusal = !state
          ? 'The subscription has no running workflow'
          : (c.reason ?? (req ? planChangeRefusal(state, req) : 'no price to move onto'));
        const price = {
          plan: { code: input.planCode },
          amountCents: c.newAmountCents ?? 0,
          interval: ctx.terms.interval,
          currency: ctx.currency,
        };
        const p = prorationPreview(ctx.terms, price, 'now', now);
        return rehearseMove({
          subscriptionId: c.subscriptionId,
          fromVersion: c.fromVersion,
          when: input.when,
          currency: ctx.currency,
          interval: ctx.terms.interval,
          amountCents: c.amountCents,
          newAmountCents: c.newAmountCents,
          refusal,
          periodEnd: ctx.periodEnd,
          proration: {
            creditCents: p.creditCents,
            chargeCents: p.chargeCents,
            discountCents: p.discountCents,
            dueNowCents: p.dueNowCents,
          },
          includedCredits: ctx.includedCredits,
          entitlementChanges: ctx.entitlementChanges,
          creditsCarriedOver: ctx.creditsCarriedOver,
          usage: ctx.usage,
          stripeCall:
            state && req
              ? {
                  path: `/v1/subscriptions/${state.stripeSubscriptionId}`,
                  params: priceChangeParams({
                    stripeSubscriptionId: state.stripeSubscriptionId as string,
                    itemId: state.itemId as string,
                    priceId: req.priceId,
                    usageItemId: state.usageItemId ?? null,
                    usagePriceId: req.usagePriceId,
                    prorationBehavior: input.when === 'now' ? 'always_invoice' : 'none',
                    changeKey: req.requestId,
                  }) as Record<string, unknown>,
                }
              : null,
        });
      }),
    );
  }

  /** Records a batch's outcomes; a retried batch records nothing twice. */
  async function recordPlanMigrationItems(input: {
    migrationId: string;
    items: (MigrationItemResult & { detail?: RehearsalDetail | null })[];
  }) {
    return recordMigrationItems(orm.em.fork(), input.migrationId, input.items, clock.now());
  }

  /** Marks the migration done, with one audit entry of what it did. */
  function finishPlanMigration(input: { migrationId: string }) {
    return finishMigration(orm.em.fork(), input.migrationId, clock.now());
  }

  return {
    planMigrationBatch,
    movePlanSubscription,
    rehearsePlanMoves,
    recordPlanMigrationItems,
    finishPlanMigration,
  };
}
