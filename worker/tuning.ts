import type { Worker, WorkerOptions } from '@temporalio/worker';
import { ConfigError, loadConfigFor, type Config } from '../config/env';
import type { CheckResult } from '../services/setup/check-result';

/** The variables that tune the worker (docs/operations.md, "Tuning Temporal for the billing day"). */
export const WORKER_TUNING_NAMES = [
  'WORKER_MAX_CONCURRENT_WORKFLOW_TASKS',
  'WORKER_MAX_CONCURRENT_ACTIVITIES',
  'WORKER_MAX_CONCURRENT_LOCAL_ACTIVITIES',
  'WORKER_MAX_CACHED_WORKFLOWS',
  'WORKER_WORKFLOW_POLLERS',
  'WORKER_ACTIVITY_POLLERS',
  'WORKER_STICKY_QUEUE_TIMEOUT_SECONDS',
] as const;

export type WorkerTuningConfig = Pick<Config, (typeof WORKER_TUNING_NAMES)[number]>;

export type WorkerTuningOptions = Pick<
  WorkerOptions,
  | 'maxConcurrentWorkflowTaskExecutions'
  | 'maxConcurrentActivityTaskExecutions'
  | 'maxConcurrentLocalActivityExecutions'
  | 'maxCachedWorkflows'
  | 'workflowTaskPollerBehavior'
  | 'activityTaskPollerBehavior'
  | 'stickyQueueScheduleToStartTimeout'
>;

/**
 * The Worker.create options the tuning variables set. An unset variable adds no option, so the SDK's
 * default applies exactly as it did before the variable existed. Pollers are given as a poller behaviour:
 * the SDK (1.24) declares maxConcurrentWorkflowTaskPolls and maxConcurrentActivityTaskPolls but no longer
 * reads them.
 */
export function workerTuningOptions(c: WorkerTuningConfig): WorkerTuningOptions {
  const out: WorkerTuningOptions = {};
  if (c.WORKER_MAX_CONCURRENT_WORKFLOW_TASKS !== undefined)
    out.maxConcurrentWorkflowTaskExecutions = c.WORKER_MAX_CONCURRENT_WORKFLOW_TASKS;
  if (c.WORKER_MAX_CONCURRENT_ACTIVITIES !== undefined)
    out.maxConcurrentActivityTaskExecutions = c.WORKER_MAX_CONCURRENT_ACTIVITIES;
  if (c.WORKER_MAX_CONCURRENT_LOCAL_ACTIVITIES !== undefined)
    out.maxConcurrentLocalActivityExecutions = c.WORKER_MAX_CONCURRENT_LOCAL_ACTIVITIES;
  if (c.WORKER_MAX_CACHED_WORKFLOWS !== undefined) out.maxCachedWorkflows = c.WORKER_MAX_CACHED_WORKFLOWS;
  if (c.WORKER_WORKFLOW_POLLERS !== undefined)
    out.workflowTaskPollerBehavior = { type: 'simple-maximum', maximum: c.WORKER_WORKFLOW_POLLERS };
  if (c.WORKER_ACTIVITY_POLLERS !== undefined)
    out.activityTaskPollerBehavior = { type: 'simple-maximum', maximum: c.WORKER_ACTIVITY_POLLERS };
  if (c.WORKER_STICKY_QUEUE_TIMEOUT_SECONDS !== undefined)
    out.stickyQueueScheduleToStartTimeout = c.WORKER_STICKY_QUEUE_TIMEOUT_SECONDS * 1000;
  return out;
}

/** What a slot supplier gives: its fixed number of slots, or its kind when the number is not fixed. */
function slots(supplier: Worker['options']['tuner']['workflowTaskSlotSupplier']): number | string {
  return supplier.type === 'fixed-size' ? supplier.numSlots : supplier.type;
}

function pollers(behavior: Worker['options']['workflowTaskPollerBehavior']): number | string {
  return behavior.type === 'simple-maximum' ? behavior.maximum : `autoscaling to ${behavior.maximum}`;
}

/**
 * The tuning a worker actually runs with, the SDK's defaults filled in, for its start-up line: an operator
 * reading the log sees the cache size the heap limit chose without working it out.
 */
export function describeWorkerTuning(options: Worker['options']): Record<string, number | string> {
  return {
    workflowTasks: slots(options.tuner.workflowTaskSlotSupplier),
    activities: slots(options.tuner.activityTaskSlotSupplier),
    localActivities: slots(options.tuner.localActivityTaskSlotSupplier),
    cachedWorkflows: options.maxCachedWorkflows,
    workflowPollers: pollers(options.workflowTaskPollerBehavior),
    activityPollers: pollers(options.activityTaskPollerBehavior),
    stickyQueueTimeoutSeconds: options.stickyQueueScheduleToStartTimeoutMs / 1000,
  };
}

/**
 * `npm run verify`'s item for the workers' tuning: a value the workers would refuse at start fails here
 * first, with the same message; otherwise it says what the workers will run with.
 */
export function workerTuningCheck(env: Record<string, string | undefined>): CheckResult {
  const item = { system: 'Deployment', name: 'Temporal worker tuning' } as const;
  let config: WorkerTuningConfig;
  try {
    config = loadConfigFor(WORKER_TUNING_NAMES, { source: env, what: 'the workers' });
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    return {
      ...item,
      status: 'fail',
      detail: err.message
        .split('\n')
        .slice(1)
        .map((line) => line.trim())
        .join('; '),
      fix: 'correct the variable named: the workers refuse to start with it (docs/operations.md, "Tuning Temporal for the billing day")',
    };
  }
  const set = WORKER_TUNING_NAMES.filter((name) => config[name] !== undefined);
  return {
    ...item,
    status: 'pass',
    detail: set.length
      ? `${set.map((name) => `${name}=${config[name]}`).join(', ')}; the SDK's defaults for the rest`
      : "the Temporal SDK's defaults (none of the WORKER_* tuning variables is set)",
  };
}
