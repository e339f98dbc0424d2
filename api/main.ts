/** API process: validates config, opens the database (migrating it), connects to Temporal, serves HTTP. */
import type { Server } from 'node:http';
import { Client, Connection } from '@temporalio/client';
import { OpenTelemetryWorkflowClientInterceptor } from '@temporalio/interceptors-opentelemetry';
import { startTracing } from '../telemetry/tracing';
import { apiPoolMax, ConfigError, loadConfig } from '../config/env';
import { describeTemporalConnection, temporalConnectionOptions } from '../config/temporal-connection';
import { createLogger } from '../config/logger';
import { openDatabase } from '../db/orm';
import { loadByokKey } from '../config/byok-key';
import { createApp } from './app';
import { createApiServer } from './http-server';
import { createVerifier } from './auth/verifier';
import { startMetricsServer } from './metrics-endpoint';
import { createByokRuntime } from '../services/byok/runtime';
import { retriesWithinDeadline } from '../services/temporal/gateway';
import { storeQuotaDenials } from '../services/operations/quota-denials';
import { systemClock } from '../domain/clock';

async function main(): Promise<void> {
  const config = loadConfig();
  const logger = createLogger(config.LOG_LEVEL, 'api');
  // Before the database: a missing or malformed master key should stop start-up at once.
  const byok = createByokRuntime(loadByokKey(config, logger), process.env);
  const orm = await openDatabase(config.DATABASE_URL, { poolMax: apiPoolMax(config) });
  const temporalOptions = temporalConnectionOptions(config);
  // Lazy: the API starts (and /readyz says why it is not ready) even while Temporal is still coming up.
  const connection = Connection.lazy({
    ...temporalOptions,
    interceptors: [retriesWithinDeadline()],
  });
  const tracing = startTracing(config.OTEL_EXPORTER_OTLP_ENDPOINT, 'billing-api');
  const temporal = new Client({
    connection,
    namespace: config.TEMPORAL_NAMESPACE,
    // Starting, signalling and updating workflows carries the request's trace into them.
    ...(tracing ? { interceptors: { workflow: [new OpenTelemetryWorkflowClientInterceptor()] } } : {}),
  });
  const verifier = await createVerifier(config);
  const { handler, stripeEventForwarder } = createApp({
    config,
    orm,
    temporal,
    logger,
    verifier,
    byok,
    clock: systemClock,
  });
  const server: Server = createApiServer(handler).listen(config.PORT, () => {
    logger.info(
      {
        port: config.PORT,
        serves: config.API_SERVES,
        issuer: verifier.issuer,
        temporal: describeTemporalConnection(temporalOptions),
      },
      'api listening',
    );
  });
  const metricsServer =
    config.METRICS_PORT !== undefined
      ? await startMetricsServer({ ...config, METRICS_PORT: config.METRICS_PORT })
      : null;
  if (metricsServer)
    logger.info({ host: config.METRICS_HOST, port: config.METRICS_PORT }, 'metrics listening');

  // Quota denials are counted in memory by the telemetry counter; their increases go to the database here.
  const storeDenials = () =>
    storeQuotaDenials(orm.em.fork(), systemClock.now()).catch((err: unknown) =>
      logger.warn({ err }, 'quota denials could not be stored; the next pass tries again'),
    );
  const denials = setInterval(() => void storeDenials(), 10_000);
  denials.unref();

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'api stopping');
    metricsServer?.close();
    server.close(async () => {
      stripeEventForwarder.close();
      await stripeEventForwarder.drain();
      clearInterval(denials);
      await storeDenials();
      await connection.close();
      await orm.close();
      await tracing?.shutdown();
      process.exit(0);
    });
    // Idle keep-alive sockets would hold close() open forever.
    server.closeIdleConnections();
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}

main().catch((err: unknown) => {
  console.error(err instanceof ConfigError ? err.message : err);
  process.exit(1);
});
