import { DefaultLogger, makeTelemetryFilterString, Runtime, type LogEntry } from '@temporalio/worker';

/**
 * A failure the code under test raised on purpose (a declined card, an unknown payment method): the SDK
 * logs each such activity and workflow failure at WARN, which in suites that provoke hundreds of them
 * buries the lines that matter. Failures that are retried, or not of our own typed kind, still show.
 */
// Workflows whose activity failed for good: their own failure, logged next, is the same story.
const failedForGood = new Set<unknown>();

function expectedBusinessFailure(entry: LogEntry): boolean {
  const workflowId = entry.meta?.workflowId;
  if (entry.message === 'Activity failed') {
    const error = entry.meta?.error as { nonRetryable?: unknown } | undefined;
    if (error?.nonRetryable !== true) return false;
    if (failedForGood.size > 10_000) failedForGood.clear();
    failedForGood.add(workflowId);
    return true;
  }
  // The workflow's error arrives flattened to a plain Error, so it is known by its workflow id.
  if (entry.message === 'Workflow failed') return failedForGood.delete(workflowId);
  return false;
}

const fallback = new DefaultLogger('WARN');

// Worker state changes at INFO would bury test failures; warnings and errors still show.
Runtime.install({
  logger: new DefaultLogger('WARN', (entry) => {
    if (!expectedBusinessFailure(entry)) fallback.log(entry.level, entry.message, entry.meta);
  }),
  telemetryOptions: { logging: { filter: makeTelemetryFilterString({ core: 'ERROR' }) } },
});
