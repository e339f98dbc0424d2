/**
 * The engine's workflows with one deliberately non-deterministic change: the subscription workflow now
 * sleeps before it does anything else. The replay test bundles this to prove that the corpus catches a
 * change that would break running subscriptions.
 */
import { sleep } from '@temporalio/workflow';
import { subscriptionWorkflow as released } from '../../workflows/subscription';

export * from '../../workflows';

export async function subscriptionWorkflow(
  ...args: Parameters<typeof released>
): ReturnType<typeof released> {
  await sleep(1);
  return released(...args);
}
