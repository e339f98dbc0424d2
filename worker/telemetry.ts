import {
  makeWorkflowExporter,
  OpenTelemetryActivityInboundInterceptor,
  OpenTelemetryActivityOutboundInterceptor,
} from '@temporalio/interceptors-opentelemetry';
import { Runtime, type WorkerOptions } from '@temporalio/worker';
import type { Tracing } from '../telemetry/tracing';
import type { Config } from '../config/env';

/**
 * Installs the worker's Temporal runtime: drains on SIGINT/SIGTERM and, with WORKER_METRICS_PORT, serves
 * Prometheus metrics at /metrics there — the SDK's own (task latencies, schedule-to-start, activity
 * outcomes by type, sticky cache) and the engine's, which activities and workflows record through the
 * same meter (Stripe calls, dunning runs, usage rollup lag, access-sync failures). Names follow Prometheus
 * conventions: counters end in `_total`, durations are in seconds with the unit in the name.
 */
export function installRuntime(config: Pick<Config, 'WORKER_METRICS_PORT'>): {
  metricsAddress: string | null;
} {
  const port = config.WORKER_METRICS_PORT;
  const metricsAddress = port !== undefined ? `0.0.0.0:${port}` : null;
  Runtime.install({
    shutdownSignals: ['SIGINT', 'SIGTERM'],
    ...(metricsAddress
      ? {
          telemetryOptions: {
            metrics: {
              prometheus: {
                bindAddress: metricsAddress,
                countersTotalSuffix: true,
                unitSuffix: true,
                useSecondsForDurations: true,
              },
            },
          },
        }
      : {}),
  });
  return { metricsAddress };
}

/**
 * The worker options that trace workflows and activities into `tracing`'s exporter: the workflow
 * interceptors (bundled into the workflow code), a sink that exports workflow spans from outside the
 * sandbox, and the activity interceptors that continue the workflow's trace.
 */
export function tracingWorkerOptions(tracing: Tracing): Pick<WorkerOptions, 'interceptors' | 'sinks'> {
  return {
    interceptors: {
      workflowModules: [require.resolve('@temporalio/interceptors-opentelemetry/lib/workflow-interceptors')],
      activity: [
        (ctx) => ({
          inbound: new OpenTelemetryActivityInboundInterceptor(ctx),
          outbound: new OpenTelemetryActivityOutboundInterceptor(ctx),
        }),
      ],
    },
    sinks: { exporter: makeWorkflowExporter(tracing.spanProcessor, tracing.resource) },
  };
}
