import { createHash } from 'node:crypto';
import { WorkflowExecutionAlreadyStartedError, WorkflowFailedError, type Workflow } from '@temporalio/client';
import { ActivityFailure, ApplicationFailure } from '@temporalio/common';
import type { EntityManager } from '@mikro-orm/core';
import { Invoice } from '../../db/entities';
import { commitBoughtBy } from '../../db/prepaid-commits';
import { AppError, conflict } from '../../domain/errors';
import { FAILURE } from '../../domain/failure-types';
import type { Identity } from '../../domain/identity';
import type { CoreDeps } from '../deps';
import { callWorkflow } from '../temporal/gateway';
import { workflowIds } from '../../workflows/ids';

/** An invoice the caller named that neither the mirror nor Stripe knows. */
export const invoiceNotFound = (id: string) =>
  new AppError('not_found', 'invoice_not_found', 'No invoice found', { id, field: 'invoiceId' });

/**
 * Stripe's id of the invoice the caller named, ours (`inv_…`) or Stripe's (`in_…`): Stripe's id may name
 * an invoice whose event has not been mirrored yet, and Stripe is asked then.
 */
export async function stripeInvoiceIdFor(em: EntityManager, invoiceId: string): Promise<string> {
  const invoice = await em.findOne(Invoice, { $or: [{ id: invoiceId }, { stripeInvoiceId: invoiceId }] });
  const stripeInvoiceId = invoice?.stripeInvoiceId ?? (/^in_\w+$/.test(invoiceId) ? invoiceId : null);
  if (!stripeInvoiceId) throw invoiceNotFound(invoiceId);
  return stripeInvoiceId;
}

/** One run per invoice and key: the key is hashed so any printable key fits a workflow id. */
export function moneyBackWorkflowId(
  kind: 'refund' | 'credit-note',
  stripeInvoiceId: string,
  key: string,
): string {
  return workflowIds.moneyBack(
    kind,
    stripeInvoiceId,
    createHash('sha256').update(key).digest('hex').slice(0, 32),
  );
}

/**
 * Runs `workflow` for one idempotency key at most once (a closed run is not started again), so a replayed
 * request waits for the first run and answers its result, success or refusal. `refusal` turns the
 * activity's typed failures into the engine's errors; any other failure goes to the gateway's mapping.
 */
export async function runOncePerKey<R>(
  deps: CoreDeps,
  workflow: Workflow,
  workflowId: string,
  arg: unknown,
  refusal: (failure: ApplicationFailure) => AppError | null,
): Promise<R> {
  return callWorkflow(deps, async () => {
    try {
      await deps.temporal.workflow.start(workflow, {
        workflowId,
        taskQueue: deps.config.TEMPORAL_TASK_QUEUE,
        workflowIdReusePolicy: 'REJECT_DUPLICATE',
        workflowIdConflictPolicy: 'USE_EXISTING',
        args: [arg],
      });
    } catch (err) {
      if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
    }
    try {
      return (await deps.temporal.workflow.getHandle(workflowId).result()) as R;
    } catch (err) {
      if (!(err instanceof WorkflowFailedError)) throw err;
      const inner = err.cause instanceof ActivityFailure ? err.cause.cause : err.cause;
      throw (inner instanceof ApplicationFailure && refusal(inner)) || err;
    }
  });
}

/** The first details object of a typed failure (the activity puts its figures there). */
export const detailsOf = (failure: ApplicationFailure): Record<string, unknown> =>
  (failure.details?.[0] as Record<string, unknown> | undefined) ?? {};

/**
 * What an admin's refund and credit note both name: the invoice, how much (omitted: all that is left),
 * why, and the caller's key.
 */
export interface MoneyBackRequest {
  invoiceId: string;
  amountCents?: number;
  reason: string;
  idempotencyKey: string;
}

/**
 * Gives money back on the invoice the caller named through `workflow`, one run per key (runOncePerKey),
 * with the caller as the actor. An invoice neither the mirror nor Stripe knows (Stripe's resource_missing
 * included) is invoice_not_found; `refusal` maps the kind's own refusals. Answers the run's result with the
 * caller's key.
 */
export async function moneyBackOncePerKey<R extends { stripeInvoiceId: string }, Q extends MoneyBackRequest>(
  deps: CoreDeps,
  actor: Identity,
  kind: 'refund' | 'credit-note',
  workflow: Workflow,
  req: Q,
  refusal: (failure: ApplicationFailure) => AppError | null,
): Promise<R & { idempotencyKey: string }> {
  const em = deps.orm.em.fork();
  const stripeInvoiceId = await stripeInvoiceIdFor(em, req.invoiceId);
  // Its payment sits on the customer's balance as credit that pays their invoices: money back on the
  // invoice too would give it twice.
  const commit = await commitBoughtBy(em, stripeInvoiceId);
  if (commit)
    throw conflict(
      'prepaid_commit_invoice',
      'This invoice paid for a prepaid commit, credited to the customer’s balance; it cannot be refunded or credited',
      { field: 'invoiceId', commit_id: commit.id },
    );
  const result = await runOncePerKey<R>(
    deps,
    workflow,
    moneyBackWorkflowId(kind, stripeInvoiceId, req.idempotencyKey),
    { ...req, invoiceId: stripeInvoiceId, actorId: actor.sub, actorEmail: actor.email },
    (failure) =>
      refusal(failure) ??
      (failure.type === FAILURE.invoiceNotFound || failure.type === FAILURE.notFound
        ? invoiceNotFound(req.invoiceId)
        : null),
  );
  if (result.stripeInvoiceId !== stripeInvoiceId) {
    throw new AppError(
      'internal',
      'internal_error',
      `The ${kind.replace('-', ' ')} answered for another invoice`,
    );
  }
  return { ...result, idempotencyKey: req.idempotencyKey };
}
