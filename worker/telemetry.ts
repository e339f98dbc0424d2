import {
  makeWorkflowExporter,
  OpenTelemetryActivityInboundInterceptor,
  OpenTelemetryActivityOutboundInterceptor,
} from '@temporalio/interceptors-opentelemetry';
import { Runtime, type WorkerOptions } from '@temporalio/worker';
import type { Tracing } from '../telemetry/tracing';
import type { Config } from '../config/env';
import { freeLoopbackPort, hostPort, startMetricsListener } from '../telemetry/metrics-listener';

/**
 * Installs the worker's Temporal runtime: drains on SIGINT/SIGTERM and, with WORKER_METRICS_PORT, serves
 * Prometheus metrics at /metrics there — the SDK's own (task latencies, schedule-to-start, activity
 * outcomes by type, sticky cache) and the engine's, which activities and workflows record through the
 * same meter (Stripe calls, dunning runs, usage rollup lag, access-sync failures). Names follow Prometheus
 * conventions: counters end in `_total`, durations are in seconds with the unit in the name.
 *
 * The listener is on METRICS_HOST (loopback by default). The SDK's exporter knows no authentication, so
 * with METRICS_TOKEN set it listens on a loopback port of its own and a listener here, on
 * WORKER_METRICS_PORT, asks for the token before passing the scrape on.
 */
export async function installRuntime(
  config: Pick<Config, 'WORKER_METRICS_PORT' | 'METRICS_HOST' | 'METRICS_TOKEN'>,
): Promise<{ metricsAddress: string | null }> {
  const port = config.WORKER_METRICS_PORT;
  const token = config.METRICS_TOKEN;
  const exporterAddress =
    port === undefined
      ? null
      : token === undefined
        ? hostPort(config.METRICS_HOST, port)
        : hostPort('127.0.0.1', await freeLoopbackPort());
  Runtime.install({
    shutdownSignals: ['SIGINT', 'SIGTERM'],
    ...(exporterAddress
      ? {
          telemetryOptions: {
            metrics: {
              prometheus: {
                bindAddress: exporterAddress,
                countersTotalSuffix: true,
                unitSuffix: true,
                useSecondsForDurations: true,
              },
            },
          },
        }
      : {}),
  });
  if (port === undefined || token === undefined) return { metricsAddress: exporterAddress };
  const exporter = `http://${exporterAddress}/metrics`;
  const server = await startMetricsListener({
    port,
    host: config.METRICS_HOST,
    token,
    metrics: async () => {
      const res = await fetch(exporter);
      if (!res.ok) throw new Error(`the SDK's exporter answered ${res.status}`);
      return { contentType: res.headers.get('content-type') ?? 'text/plain', body: await res.text() };
    },
  });
  // The drain on SIGTERM decides when the process ends, not this listener.
  server.unref();
  return { metricsAddress: hostPort(config.METRICS_HOST, port) };
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
