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
