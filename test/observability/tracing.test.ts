import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Client } from '@temporalio/client';
import { OpenTelemetryWorkflowClientInterceptor } from '@temporalio/interceptors-opentelemetry';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Worker } from '@temporalio/worker';
import type Stripe from 'stripe';
import { createStripeClient } from '../../integrations/stripe/client';
import { syncCatalog } from '../../integrations/stripe/catalog-sync';
import { createLogger } from '../../config/logger';
import { Customer } from '../../db/entities';
import { newId } from '../../db/ids';
import { startTracing, type Tracing } from '../../telemetry/tracing';
import { startStripeEmulator, type StripeEmulator } from '../../tools/stripe-emulator';
import { createWorker } from '../../worker/create-worker';
import { tracingWorkerOptions } from '../../worker/telemetry';
import { reservePort, startTestApi, type TestApi } from '../helpers/api';
import { startTestIdp, type TestIdp } from '../helpers/auth';
import { openTestDatabase } from '../helpers/db';
import { waitUntil } from '../helpers/eventually';
import { startDevServer, TEST_NAMESPACE } from '../helpers/temporal';

const TASK_QUEUE = 'tracing-scenario';
const WEBHOOK_SECRET = 'whsec_tracing_scenario';

interface ReceivedSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
}

/** An OTLP/HTTP collector that keeps the spans it is sent (JSON, as the exporter encodes them). */
function startCollector(): Promise<{ url: string; spans: ReceivedSpan[]; server: Server }> {
  const spans: ReceivedSpan[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as {
        resourceSpans: { scopeSpans: { spans: ReceivedSpan[] }[] }[];
      };
      for (const rs of body.resourceSpans) for (const ss of rs.scopeSpans) spans.push(...ss.spans);
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve({ url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, spans, server }),
    ),
  );
}

describe('tracing from a request through its workflow to the activities', () => {
  let collector: Awaited<ReturnType<typeof startCollector>>;
  let tracing: Tracing;
  let env: TestWorkflowEnvironment;
  let db: Awaited<ReturnType<typeof openTestDatabase>>;
  let idp: TestIdp;
  let emulator: StripeEmulator;
  let api: TestApi;
  let worker: Worker;
  let running: Promise<void>;

  beforeAll(async () => {
    collector = await startCollector();
    tracing = startTracing(collector.url, 'billing-test') as Tracing;
    [env, db, idp] = await Promise.all([startDevServer(), openTestDatabase('sqlite'), startTestIdp()]);
    const { port, listener } = await reservePort();
    emulator = await startStripeEmulator({
      port: 0,
      webhook: { url: `http://127.0.0.1:${port}/api/v1/billing/webhooks/stripe`, secret: WEBHOOK_SECRET },
    });
    const stripe = createStripeClient({ apiBase: emulator.url }) as Stripe;
    await syncCatalog(stripe, db.orm);
    // Bundled here, as the worker does at start when tracing is on: the interceptors go into the bundle.
    worker = await createWorker({
      connection: env.nativeConnection,
      namespace: TEST_NAMESPACE,
      taskQueue: TASK_QUEUE,
      deps: { orm: db.orm, logger: createLogger('silent', 'test'), stripe },
      extra: tracingWorkerOptions(tracing),
    });
    running = worker.run();
    const client = new Client({
      connection: env.connection,
      namespace: TEST_NAMESPACE,
      interceptors: { workflow: [new OpenTelemetryWorkflowClientInterceptor()] },
    });
    api = await startTestApi({
      orm: db.orm,
      temporal: client,
      listener,
      env: {
        TEMPORAL_TASK_QUEUE: TASK_QUEUE,
        OIDC_ISSUER: idp.issuer,
        OIDC_JWKS_URL: idp.jwksUrl,
        STRIPE_API_BASE: emulator.url,
        STRIPE_WEBHOOK_SECRET: WEBHOOK_SECRET,
        OTEL_EXPORTER_OTLP_ENDPOINT: collector.url,
      },
    });
  }, 180_000);

  afterAll(async () => {
    await api?.stop();
    worker?.shutdown();
    await running;
    await tracing?.shutdown();
    await emulator?.stop();
    await Promise.all([env?.teardown(), db?.close(), idp?.stop()]);
    collector?.server.close();
  });

  it('puts the HTTP request, the workflow update and the activities it ran in one trace', async () => {
    const userId = `kc-tracing-${Date.now()}`;
    const email = `${userId}@example.com`;
    const em = db.orm.em.fork();
    em.create(Customer, { id: newId('cust'), userId, email });
    await em.flush();
    const token = await idp.token({ sub: userId, email });
    // The caller's own trace is continued, not replaced.
    const callerTrace = '4bf92f3577b34da6a3ce929d0e0e4736';
    const res = await fetch(`${api.url}/api/v1/billing/checkout/create`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${token}`,
        'content-type': 'application/json',
        traceparent: `00-${callerTrace}-00f067aa0ba902b7-01`,
      },
      body: JSON.stringify({ tier_id: 'professional', billing_cycle: 'monthly' }),
    });
    expect(res.status).toBe(200);

    const names = () => collector.spans.filter((s) => s.traceId === callerTrace).map((s) => s.name);
    await waitUntil(
      async () => {
        await tracing.spanProcessor.forceFlush();
        return names();
      },
      (n) =>
        n.includes('POST /api/v1/billing/checkout/create') &&
        n.some((x) => x.includes('createCheckoutSession')),
      'the request and its activities to be exported in one trace',
      30_000,
      250,
    );
    const inTrace = names();
    expect(inTrace).toContain('POST /api/v1/billing/checkout/create');
    expect(inTrace.some((n) => /UpdateWithStart|StartWorkflow|RunWorkflow/.test(n))).toBe(true);
    expect(inTrace.some((n) => n.includes('RunActivity:createCheckoutSession'))).toBe(true);
    // The server span's parent is the caller's span.
    const server = collector.spans.find((s) => s.name === 'POST /api/v1/billing/checkout/create');
    expect(server?.parentSpanId).toBe('00f067aa0ba902b7');
  }, 60_000);
});
