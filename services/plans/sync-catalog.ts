import { workflowIds } from '../../workflows/ids';
import { catalogChanged } from '../../workflows/messages';
import { stripeConfigured } from '../customers/ensure-customer';
import type { CoreDeps } from '../deps';
import { callWorkflow } from '../temporal/gateway';
import { workflowType } from '../temporal/workflow-type';

/** New prices reach Stripe through the catalog-sync workflow (signal-with-start: no change is lost). */
export async function requestCatalogSync(deps: CoreDeps): Promise<'started' | 'skipped'> {
  if (!stripeConfigured(deps.config)) return 'skipped';
  // Temporal keeps the signal until a worker comes, so only Temporal itself must answer.
  await callWorkflow(
    deps,
    () =>
      deps.temporal.workflow.signalWithStart(workflowType('catalogSyncWorkflow'), {
        workflowId: workflowIds.catalogSync(),
        taskQueue: deps.config.TEMPORAL_TASK_QUEUE,
        signal: catalogChanged,
      }),
    { needsWorker: false },
  );
  return 'started';
}
