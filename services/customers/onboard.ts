import type { Client } from '@temporalio/client';
import { workflowIds } from '../../workflows/ids';
import { workflowType } from '../temporal/workflow-type';

const onboarding = workflowType('customerOnboarding');

/**
 * Runs an identity's onboarding workflow and answers its customer record: the one way a sign-in (and the
 * benchmarks' and seeding's sign-ups) starts it, so every run is asked the same way.
 */
export function runOnboarding(
  temporal: Client,
  taskQueue: string,
  input: Parameters<typeof onboarding>[0],
  withStripe: boolean,
) {
  return temporal.workflow.execute(onboarding, {
    workflowId: workflowIds.customer(input.userId),
    taskQueue,
    // A running onboarding is joined; a finished or failed one leaves the id free for the next call.
    workflowIdConflictPolicy: 'USE_EXISTING',
    workflowIdReusePolicy: 'ALLOW_DUPLICATE',
    args: [input, { withStripe, local: true }],
  });
}
