import { Context } from '@temporalio/activity';
import type { MetricMeter } from '@temporalio/common';

/**
 * The running activity's meter (the worker's Prometheus exporter), or null when the function is called
 * outside an activity (a tool, a test calling it directly): figures are then simply not recorded.
 */
export function activityMeter(): MetricMeter | null {
  try {
    return Context.current().metricMeter;
  } catch {
    return null;
  }
}

/**
 * The running activity's workflow id, run id and type, for every log line written while it runs (the
 * worker's logger adds them); nothing outside an activity.
 */
export function activityLogContext(): Record<string, unknown> {
  try {
    const info = Context.current().info;
    return {
      workflowId: info.workflowExecution?.workflowId,
      runId: info.workflowExecution?.runId,
      activity: info.activityType,
    };
  } catch {
    return {};
  }
}
