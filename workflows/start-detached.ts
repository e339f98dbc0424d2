import {
  ParentClosePolicy,
  startChild,
  type ChildWorkflowOptions,
  type Workflow,
} from '@temporalio/workflow';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';

/**
 * Starts a workflow named after its business key that outlives the loop starting it (a loop continues as
 * new); one already running under that id, or one its reuse policy refuses, is not an error: it was
 * started before, by this loop or by another path.
 */
export async function startDetached<T extends Workflow>(
  workflow: T,
  options: {
    workflowId: string;
    args: Parameters<T>;
    workflowIdReusePolicy: NonNullable<ChildWorkflowOptions['workflowIdReusePolicy']>;
  },
): Promise<void> {
  try {
    // By its type name, as startChild names a function it is given.
    await startChild<Workflow>(workflow.name, {
      workflowId: options.workflowId,
      args: options.args as unknown[],
      workflowIdReusePolicy: options.workflowIdReusePolicy,
      parentClosePolicy: ParentClosePolicy.ABANDON,
    });
  } catch (err) {
    if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
  }
}
