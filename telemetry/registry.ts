import { collectDefaultMetrics, Registry } from 'prom-client';

/**
 * The API process's metrics, in Prometheus' text format at /metrics. One registry per process: the API's
 * own figures plus Node's (CPU, memory, event-loop lag, handles). The worker's figures go through the
 * Temporal SDK's exporter instead (see worker/telemetry.ts).
 */
export const registry = new Registry();
collectDefaultMetrics({ register: registry });
