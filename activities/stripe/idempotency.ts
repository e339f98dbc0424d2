import { createHash } from 'node:crypto';
import { Context } from '@temporalio/activity';

/**
 * An idempotency key for a Stripe mutation. The business part (e.g. `sub-create:subs_123`) is supplied by
 * the workflow; without one, the workflow id and activity id name this call, which stay the same on every
 * retry of the activity, so a retry replays Stripe's first answer instead of charging again.
 */
export function idempotencyKey(business?: string): string {
  if (business) return `billing-engine:${business}`;
  const { workflowExecution, activityId } = Context.current().info;
  return `billing-engine:${workflowExecution?.workflowId}:${workflowExecution?.runId}:${activityId}`;
}

/**
 * The request's mark on what it made in Stripe (credit note or refund metadata): a retried activity finds
 * what its first attempt made instead of counting it as someone else's and refusing.
 */
export const requestTag = (key: string): string =>
  createHash('sha256').update(key).digest('hex').slice(0, 32);
