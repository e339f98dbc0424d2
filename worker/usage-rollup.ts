import { WorkflowIdConflictPolicy, type Client } from '@temporalio/client';
import type { CommitmentsLoopInput } from '../workflows/commitments';
import type { CreditHousekeepingInput } from '../workflows/credit-housekeeping';
import type { RetentionInput } from '../workflows/retention';
import type { UsageRollupInput } from '../workflows/usage-rollup';
import type { WebhookDispatchInput } from '../workflows/webhooks';

/**
 * Starts one of the engine's long-running loops under its fixed workflow id unless it already runs
 * (USE_EXISTING), so every worker or API process may call it at start-up.
 */
async function ensureLoop(
  client: Client,
  taskQueue: string,
  loop: { workflowType: string; workflowId: string },
  input: object,
): Promise<void> {
  await client.workflow.start(loop.workflowType, {
    workflowId: loop.workflowId,
    taskQueue,
    args: [input],
    workflowIdConflictPolicy: WorkflowIdConflictPolicy.USE_EXISTING,
  });
}

/** The usage rollup loop (`usage-rollup`). */
export const ensureUsageRollup = (client: Client, taskQueue: string, input: UsageRollupInput = {}) =>
  ensureLoop(client, taskQueue, { workflowType: 'usageRollupWorkflow', workflowId: 'usage-rollup' }, input);

/** The credit housekeeping loop (`credit-housekeeping`). */
export const ensureCreditHousekeeping = (
  client: Client,
  taskQueue: string,
  input: CreditHousekeepingInput = {},
) =>
  ensureLoop(
    client,
    taskQueue,
    { workflowType: 'creditHousekeepingWorkflow', workflowId: 'credit-housekeeping' },
    input,
  );

/** The outgoing webhook dispatcher (`webhook-dispatch`). */
export const ensureWebhookDispatch = (client: Client, taskQueue: string, input: WebhookDispatchInput = {}) =>
  ensureLoop(
    client,
    taskQueue,
    { workflowType: 'webhookDispatchWorkflow', workflowId: 'webhook-dispatch' },
    input,
  );

/** The retention loop (`retention`). */
export const ensureRetention = (client: Client, taskQueue: string, input: RetentionInput = {}) =>
  ensureLoop(client, taskQueue, { workflowType: 'retentionWorkflow', workflowId: 'retention' }, input);

/** The minimum commitments' loop (`commitments`), which settles each period once it has ended. */
export const ensureCommitments = (client: Client, taskQueue: string, input: CommitmentsLoopInput = {}) =>
  ensureLoop(client, taskQueue, { workflowType: 'commitmentsWorkflow', workflowId: 'commitments' }, input);
