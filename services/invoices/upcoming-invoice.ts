import { randomUUID } from 'node:crypto';
import { AppError } from '../../domain/errors';
import type { Identity } from '../../domain/identity';
import { hasUpcomingInvoice, type UpcomingInvoice } from '../../domain/upcoming-invoice';
import { workflowIds } from '../../workflows/ids';
import type { CoreDeps } from '../deps';
import type { Subscription } from '../../db/entities';
import { customerByEmailAnyCase } from '../admin-lists/subscription-detail';
import { findLiveSubscription, ownLiveSubscription } from '../subscriptions/live-subscription';
import { callWorkflow } from '../temporal/gateway';
import { workflowType } from '../temporal/workflow-type';

/**
 * The caller's next invoice as Stripe would issue it now: the plan's next period, the usage reported so
 * far, pending prorations, the coupon and the tax. None for a caller whose subscription will not renew.
 */
export async function ownUpcomingInvoice(deps: CoreDeps, identity: Identity): Promise<UpcomingInvoice> {
  const { sub } = await ownLiveSubscription(deps, identity);
  return previewOf(deps, sub);
}

/** A customer's next invoice as the console shows it (404 for no such customer, as the other reads). */
export async function customerUpcomingInvoice(deps: CoreDeps, email: string): Promise<UpcomingInvoice> {
  const em = deps.orm.em.fork();
  const sub = await findLiveSubscription(em, await customerByEmailAnyCase(em, email));
  return previewOf(deps, sub);
}

/** Stripe's preview of the subscription's next invoice, with `extraItems` on top (an admin's what-if). */
export async function previewOf(
  deps: CoreDeps,
  sub: Subscription | null,
  extraItems: { amountCents: number; currency: string; description: string }[] = [],
): Promise<UpcomingInvoice> {
  if (!sub || !hasUpcomingInvoice(sub)) {
    throw new AppError('not_found', 'no_upcoming_invoice', 'No subscription renews, so no invoice is coming');
  }
  return callWorkflow(deps, () =>
    deps.temporal.workflow.execute(workflowType('upcomingInvoiceWorkflow'), {
      workflowId: workflowIds.upcomingInvoice(sub.id, randomUUID()),
      taskQueue: deps.config.TEMPORAL_TASK_QUEUE,
      args: [
        {
          stripeSubscriptionId: sub.stripeSubscriptionId as string,
          ...(extraItems.length > 0 && { extraItems }),
        },
      ],
    }),
  );
}
