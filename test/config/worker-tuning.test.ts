import { getHeapStatistics } from 'node:v8';
import { noopMetricMeter } from '@temporalio/common';
import { DefaultLogger, type Worker, type WorkerOptions } from '@temporalio/worker';
// What Worker.create does to its options before it starts: the only way to see what the SDK would run
// with without a server to connect to.
import { compileWorkerOptions } from '@temporalio/worker/lib/worker-options';
import { loadConfig, SDK_DEFAULT_SLOTS } from '../../config/env';
import { describeWorkerTuning, workerTuningCheck, workerTuningOptions } from '../../worker/tuning';

/** The options a worker of this configuration runs with, as the SDK compiles them. */
function compiled(env: Record<string, string>): Worker['options'] {
  const config = loadConfig({ NODE_ENV: 'development', ...env });
  const options: WorkerOptions = {
    taskQueue: 'billing',
    namespace: 'billing',
    workflowsPath: require.resolve('../../workflows'),
    activities: { noop: async () => undefined },
    ...workerTuningOptions(config),
  };
  return compileWorkerOptions(options, new DefaultLogger('ERROR'), noopMetricMeter);
}

describe("the worker's Temporal tuning", () => {
  it('adds no option when no variable is set, so the worker runs with the SDK defaults it always had', () => {
    expect(workerTuningOptions(loadConfig({ NODE_ENV: 'development' }))).toEqual({});
    // The defaults the configuration's checks and docs/operations.md state are the SDK's own.
    const heapMiB = getHeapStatistics().heap_size_limit / 2 ** 20;
    expect(describeWorkerTuning(compiled({}))).toEqual({
      workflowTasks: SDK_DEFAULT_SLOTS.workflowTasks,
      activities: SDK_DEFAULT_SLOTS.activities,
      localActivities: SDK_DEFAULT_SLOTS.localActivities,
      cachedWorkflows: Math.max(Math.floor(((heapMiB - 200) * 600) / 1024), 10),
      workflowPollers: 10,
      activityPollers: 10,
      stickyQueueTimeoutSeconds: 10,
    });
  });

  it('runs the worker with each variable that is set, pollers included', () => {
    expect(
      describeWorkerTuning(
        compiled({
          WORKER_MAX_CONCURRENT_WORKFLOW_TASKS: '80',
          WORKER_MAX_CONCURRENT_ACTIVITIES: '200',
          WORKER_MAX_CONCURRENT_LOCAL_ACTIVITIES: '50',
          WORKER_MAX_CACHED_WORKFLOWS: '6000',
          WORKER_WORKFLOW_POLLERS: '20',
          WORKER_ACTIVITY_POLLERS: '16',
          WORKER_STICKY_QUEUE_TIMEOUT_SECONDS: '120',
        }),
      ),
    ).toEqual({
      workflowTasks: 80,
      activities: 200,
      localActivities: 50,
      cachedWorkflows: 6000,
      workflowPollers: 20,
      activityPollers: 16,
      stickyQueueTimeoutSeconds: 120,
    });
  });

  it('keeps the pollers at min(10, slots) when only the slots are set, as the SDK does', () => {
    const options = describeWorkerTuning(
      compiled({ WORKER_MAX_CONCURRENT_WORKFLOW_TASKS: '4', WORKER_MAX_CONCURRENT_ACTIVITIES: '200' }),
    );
    expect([options.workflowPollers, options.activityPollers]).toEqual([4, 10]);
  });
});

describe("npm run verify's item for the workers' tuning", () => {
  it('passes naming what is set, or saying the SDK defaults apply', () => {
    expect(workerTuningCheck({})).toMatchObject({
      status: 'pass',
      detail: expect.stringContaining("the Temporal SDK's defaults"),
    });
    expect(workerTuningCheck({ WORKER_MAX_CACHED_WORKFLOWS: '6000', PATH: '/bin' })).toMatchObject({
      status: 'pass',
      detail: "WORKER_MAX_CACHED_WORKFLOWS=6000; the SDK's defaults for the rest",
    });
  });

  it('fails with the message the workers would stop with, whatever else the environment lacks', () => {
    // No OIDC_ISSUER and NODE_ENV unset: the API's production requirements are not this item's business.
    const check = workerTuningCheck({ WORKER_WORKFLOW_POLLERS: '41' });
    expect(check.status).toBe('fail');
    expect(check.detail).toContain('WORKER_WORKFLOW_POLLERS: cannot exceed the workflow tasks run at once');
    expect(workerTuningCheck({ WORKER_ACTIVITY_POLLERS: 'many' })).toMatchObject({
      status: 'fail',
      detail: 'WORKER_ACTIVITY_POLLERS: must be a whole number',
    });
    expect(check.detail).not.toContain('OIDC');
  });
});
