import { WorkflowExecutionAlreadyStartedError } from '@temporalio/client';
import { dueTopUpCrossing } from '../../db/credit-top-up-due';
import type { AutoTopUp } from '../../domain/credit-purchase';
import { notFound } from '../../domain/errors';
import type { Identity } from '../../domain/identity';
import { ownAccess } from '../access/check-access';
import { setAutoTopUp } from './credit-settings';
import { workflowIds } from '../../workflows/ids';
import type { CoreDeps } from '../deps';
import { clockOf } from '../../domain/clock';
import { workflowType } from '../temporal/workflow-type';

/**
 * Starts the automatic top-up of a customer whose balance fell below their threshold, once per crossing:
 * the workflow is named after the crossing and a finished run's id is never reused, so every process and
 * every report that sees the same crossing starts it at most once (and the workflow charges with the
 * crossing as its idempotency key). Answers whether a top-up is under way for this crossing.
 */
export async function startTopUpIfDue(
  deps: Pick<CoreDeps, 'orm' | 'temporal' | 'config' | 'clock'>,
  customerId: string,
  now = clockOf(deps).now(),
): Promise<boolean> {
  const crossingKey = await dueTopUpCrossing(deps.orm.em.fork(), customerId, now);
  if (!crossingKey) return false;
  try {
    await deps.temporal.workflow.start(workflowType('creditTopUpWorkflow'), {
      workflowId: workflowIds.creditTopUp(crossingKey),
      taskQueue: deps.config.TEMPORAL_TASK_QUEUE,
      workflowIdReusePolicy: 'REJECT_DUPLICATE',
      args: [{ customerId, crossingKey, retryAfterSeconds: deps.config.CREDIT_TOP_UP_RETRY_SECONDS }],
    });
  } catch (err) {
    if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
  }
  return true;
}

/**
 * The caller turns automatic top-up on or off. A balance already below the threshold is a crossing now,
 * not at the next report.
 */
export async function changeAutoTopUp(deps: CoreDeps, identity: Identity, want: AutoTopUp): Promise<void> {
  const em = deps.orm.em.fork();
  const access = await ownAccess(em, identity);
  if (!access.customerId) throw notFound('customer');
  await setAutoTopUp(em, access.customerId, want, access.plan?.code ?? null, clockOf(deps).now());
  await startTopUpIfDue(deps, access.customerId);
}
