import { type NativeConnection, Worker, type WorkerOptions } from '@temporalio/worker';
import { createActivities, type ActivityDeps } from '../activities';
import type { WorkerTuningOptions } from './tuning';
import { PRELOAD_MODULES, WORKFLOWS_PATH } from './workflow-bundle';

export interface WorkerSettings {
  connection: NativeConnection;
  namespace: string;
  taskQueue: string;
  deps: ActivityDeps;
  /** A prebuilt bundle (tests build one per run); otherwise the workflows are bundled at start. */
  workflowBundle?: WorkerOptions['workflowBundle'];
  /** Interceptors and sinks (tracing). */
  extra?: Pick<WorkerOptions, 'interceptors' | 'sinks'>;
  /** Slots, sticky cache and pollers (worker/tuning.ts); each one left out keeps the SDK's default. */
  tuning?: WorkerTuningOptions;
}

/** A worker that runs every workflow of the engine with the activities built from `deps`. */
export function createWorker(s: WorkerSettings): Promise<Worker> {
  return Worker.create({
    connection: s.connection,
    namespace: s.namespace,
    taskQueue: s.taskQueue,
    activities: createActivities(s.deps),
    ...s.tuning,
    ...s.extra,
    ...(s.workflowBundle
      ? { workflowBundle: s.workflowBundle }
      : { workflowsPath: WORKFLOWS_PATH, bundlerOptions: { preloadModules: PRELOAD_MODULES } }),
  });
}
