import { DefaultLogger, makeTelemetryFilterString, Runtime } from '@temporalio/worker';

// Worker state changes at INFO would bury test failures; warnings and errors still show.
Runtime.install({
  logger: new DefaultLogger('WARN'),
  telemetryOptions: { logging: { filter: makeTelemetryFilterString({ core: 'ERROR' }) } },
});
