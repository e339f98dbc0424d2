/** Worker process: connects to Temporal and the database, runs until SIGINT/SIGTERM, then drains. */
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Runtime } from '@temporalio/worker';
import {
  ensureCommitments,
  ensureCreditHousekeeping,
  ensureRetention,
  ensureUsageRollup,
  ensureWebhookDispatch,
} from './usage-rollup';
import { loadByokKey } from '../config/byok-key';
import { webhookSettingsFrom } from '../integrations/webhooks/settings';
import { ConfigError, loadConfig } from '../config/env';
import { describeTemporalConnection, temporalConnectionOptions } from '../config/temporal-connection';
import { createLogger } from '../config/logger';
import { openDatabase } from '../db/orm';
import { keycloakSettingsFromEnv } from '../integrations/keycloak/settings';
import { lagoSettingsFrom } from '../integrations/lago/client';
import { createStripeClient, meterStripeCalls } from '../integrations/stripe/client';
import { activityLogContext } from '../activities/activity-context';
import { createWorker } from './create-worker';
import { startTracing } from '../telemetry/tracing';
import { installRuntime, tracingWorkerOptions } from './telemetry';
import { describeWorkerTuning, workerTuningOptions } from './tuning';
import { limitWorkflowStackFrames } from './stack-frames';

async function main(): Promise<void> {
  const config = loadConfig();
  // Lines written inside an activity name its workflow and run, so one run's story can be followed.
  const logger = createLogger(config.LOG_LEVEL, 'worker', activityLogContext);
  // The SDK's own handlers drain in-flight tasks on SIGINT/SIGTERM before run() resolves.
  const { metricsAddress } = await installRuntime(config);
  if (metricsAddress)
    logger.info({ metrics: `http://${metricsAddress}/metrics` }, 'worker metrics listening');
  // The API (or `npm run migrate`) owns migrations; two processes migrating one SQLite file would collide.
  const orm = await openDatabase(config.DATABASE_URL, {
    migrate: false,
    poolMax: config.DATABASE_POOL_MAX,
  });
  const temporalOptions = temporalConnectionOptions(config);
  const connection = await NativeConnection.connect(temporalOptions);
  const stripe = createStripeClient({ secretKey: config.STRIPE_SECRET_KEY, apiBase: config.STRIPE_API_BASE });
  if (stripe) meterStripeCalls(stripe, Runtime.instance().metricMeter);
  const tracing = startTracing(config.OTEL_EXPORTER_OTLP_ENDPOINT, 'billing-worker');
  // Before the worker makes its workflow threads: their contexts take the limit when made.
  limitWorkflowStackFrames(config.WORKER_WORKFLOW_STACK_FRAMES);
  const worker = await createWorker({
    ...(tracing ? { extra: tracingWorkerOptions(tracing) } : {}),
    connection,
    namespace: config.TEMPORAL_NAMESPACE,
    taskQueue: config.TEMPORAL_TASK_QUEUE,
    ...(config.WORKFLOW_BUNDLE_PATH ? { workflowBundle: { codePath: config.WORKFLOW_BUNDLE_PATH } } : {}),
    tuning: workerTuningOptions(config),
    deps: {
      orm,
      logger,
      stripe,
      lago: lagoSettingsFrom(config.LAGO_API_URL, config.LAGO_API_KEY),
      keycloak: keycloakSettingsFromEnv(config),
      mail: config.SMTP_URL ? { url: config.SMTP_URL, from: config.SMTP_FROM } : null,
      // Endpoint secrets are sealed under the BYOK keyring, which the API loads the same way.
      webhooks: webhookSettingsFrom(config, loadByokKey(config, logger)),
      stripeTax: config.STRIPE_TAX,
    },
  });
  // The usage rollup is one long-running workflow; every worker makes sure it exists (USE_EXISTING).
  const client = new Client({
    connection: await Connection.connect(temporalOptions),
    namespace: config.TEMPORAL_NAMESPACE,
  });
  await ensureUsageRollup(client, config.TEMPORAL_TASK_QUEUE);
  await ensureCreditHousekeeping(client, config.TEMPORAL_TASK_QUEUE, {
    topUpRetryAfterSeconds: config.CREDIT_TOP_UP_RETRY_SECONDS,
  });
  await ensureCommitments(client, config.TEMPORAL_TASK_QUEUE);
  await ensureWebhookDispatch(client, config.TEMPORAL_TASK_QUEUE);
  await ensureRetention(client, config.TEMPORAL_TASK_QUEUE, { retentionDays: config.RETENTION_DAYS });
  await client.connection.close();
  logger.info(
    {
      taskQueue: config.TEMPORAL_TASK_QUEUE,
      namespace: config.TEMPORAL_NAMESPACE,
      temporal: describeTemporalConnection(temporalOptions),
      // What it runs with, the SDK's defaults filled in for the WORKER_* tuning variables left unset.
      tuning: describeWorkerTuning(worker.options),
      workflowStackFrames: config.WORKER_WORKFLOW_STACK_FRAMES,
    },
    'worker running',
  );
  try {
    await worker.run();
  } finally {
    await connection.close();
    await orm.close();
    await tracing?.shutdown();
    logger.info('worker stopped');
  }
}

main().catch((err: unknown) => {
  console.error(err instanceof ConfigError ? err.message : err);
  process.exit(1);
});
