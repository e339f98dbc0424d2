import { WorkflowIdConflictPolicy, type Client } from '@temporalio/client';
import type { CreditHousekeepingInput } from '../workflows/credit-housekeeping';
import type { RetentionInput } from '../workflows/retention';
import type { UsageRollupInput } from '../workflows/usage-rollup';
import type { WebhookDispatchInput } from '../workflows/webhooks';

/**
 * Starts the one usage rollup loop (`usage-rollup`) unless it already runs; safe to call from every
 * worker or API process at start-up.
 */
export async function ensureUsageRollup(
  client: Client,
  taskQueue: string,
  input: UsageRollupInput = {},
): Promise<void> {
  await client.workflow.start('usageRollupWorkflow', {
    workflowId: 'usage-rollup',
    taskQueue,
    args: [input],
    workflowIdConflictPolicy: WorkflowIdConflictPolicy.USE_EXISTING,
  });
}

/** Starts the one credit housekeeping loop (`credit-housekeeping`) unless it already runs. */
export async function ensureCreditHousekeeping(
  client: Client,
  taskQueue: string,
  input: CreditHousekeepingInput = {},
): Promise<void> {
  await client.workflow.start('creditHousekeepingWorkflow', {
    workflowId: 'credit-housekeeping',
    taskQueue,
    args: [input],
    workflowIdConflictPolicy: WorkflowIdConflictPolicy.USE_EXISTING,
  });
}

/** Starts the one outgoing webhook dispatcher (`webhook-dispatch`) unless it already runs. */
export async function ensureWebhookDispatch(
  client: Client,
  taskQueue: string,
  input: WebhookDispatchInput = {},
): Promise<void> {
  await client.workflow.start('webhookDispatchWorkflow', {
    workflowId: 'webhook-dispatch',
    taskQueue,
    args: [input],
    workflowIdConflictPolicy: WorkflowIdConflictPolicy.USE_EXISTING,
  });
}

/** Starts the one retention loop (`retention`) unless it already runs. */
export async function ensureRetention(
  client: Client,
  taskQueue: string,
  input: RetentionInput = {},
): Promise<void> {
  await client.workflow.start('retentionWorkflow', {
    workflowId: 'retention',
    taskQueue,
    args: [input],
    workflowIdConflictPolicy: WorkflowIdConflictPolicy.USE_EXISTING,
  });
}
