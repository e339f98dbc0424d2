import { randomUUID } from 'node:crypto';
import { AppError } from '../../domain/errors';
import type { Identity } from '../../domain/identity';
import { hasUpcomingInvoice, type UpcomingInvoice } from '../../domain/upcoming-invoice';
import { workflowIds } from '../../workflows/ids';
import type { CoreDeps } from '../deps';
import { ownLiveSubscription } from '../subscriptions/live-subscription';
import { callWorkflow } from '../temporal/gateway';
import { workflowType } from '../temporal/workflow-type';

/**
 * The caller's next invoice as Stripe would issue it now: the plan's next period, the usage reported so
 * far, pending prorations, the coupon and the tax. None for a caller whose subscription will not renew.
 */
export async function ownUpcomingInvoice(deps: CoreDeps, identity: Identity): Promise<UpcomingInvoice> {
  const { sub } = await ownLiveSubscription(deps, identity);
  if (!sub || !hasUpcomingInvoice(sub)) {
    throw new AppError(
      'not_found',
      'no_upcoming_invoice',
      'You have no subscription that renews, so no invoice is coming',
    );
  }
  return callWorkflow(deps, () =>
    deps.temporal.workflow.execute(workflowType('upcomingInvoiceWorkflow'), {
      workflowId: workflowIds.upcomingInvoice(sub.id, randomUUID()),
      taskQueue: deps.config.TEMPORAL_TASK_QUEUE,
      args: [{ stripeSubscriptionId: sub.stripeSubscriptionId as string }],
    }),
  );
}
