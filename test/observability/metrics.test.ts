import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type Stripe from 'stripe';
import { parse } from 'yaml';
import { createStripeClient } from '../../integrations/stripe/client';
import { syncCatalog } from '../../integrations/stripe/catalog-sync';
import { Customer } from '../../db/entities';
import { newId } from '../../db/ids';
import { refreshBusinessFigures } from '../../telemetry/database-gauges';
import { startStripeEmulator, type StripeEmulator } from '../../tools/stripe-emulator';
import { freePort, reservePort, startTestApi, type TestApi } from '../helpers/api';
import { startTestIdp, type TestIdp } from '../helpers/auth';
import { openTestDatabase } from '../helpers/db';
import { waitUntil } from '../helpers/eventually';
import { listeningAddresses } from '../helpers/listening';
import { parsePrometheusText, total } from '../helpers/prometheus-text';
import { startDevServer, TEST_NAMESPACE, workflowBundle } from '../helpers/temporal';

const WEBHOOK_SECRET = 'whsec_metrics_scenario';
const METRICS_TOKEN = 'scrape-token-for-the-test';
const TASK_QUEUE = 'metrics-scenario';

async function scrape(url: string, token?: string) {
  const res = await fetch(url, token ? { headers: { authorization: `Bearer ${token}` } } : {});
  return { status: res.status, type: res.headers.get('content-type'), text: await res.text() };
}

describe('metrics an operator scrapes from the API and the worker', () => {
  let env: TestWorkflowEnvironment;
  let db: Awaited<ReturnType<typeof openTestDatabase>>;
  let idp: TestIdp;
  let emulator: StripeEmulator;
  let stripe: Stripe;
  let api: TestApi;
  let worker: ChildProcess;
  let workerMetrics: string;

  beforeAll(async () => {
    [env, db, idp] = await Promise.all([startDevServer(), openTestDatabase('sqlite'), startTestIdp()]);
    const { port, listener } = await reservePort();
    emulator = await startStripeEmulator({
      port: 0,
      webhook: { url: `http://127.0.0.1:${port}/api/v1/billing/webhooks/stripe`, secret: WEBHOOK_SECRET },
    });
    stripe = createStripeClient({ apiBase: emulator.url }) as Stripe;
    await syncCatalog(stripe, db.orm);
    // The worker as it runs in production: its own process, its own Temporal runtime and exporter.
    const metricsPort = await freePort();
    workerMetrics = `http://127.0.0.1:${metricsPort}/metrics`;
    worker = spawn(process.execPath, [join('node_modules', 'tsx', 'dist', 'cli.mjs'), 'worker/main.ts'], {
      env: {
        ...process.env,
        NODE_ENV: 'test',
        LOG_LEVEL: 'warn',
        DATABASE_URL: db.url,
        TEMPORAL_ADDRESS: env.address,
        TEMPORAL_NAMESPACE: TEST_NAMESPACE,
        TEMPORAL_TASK_QUEUE: TASK_QUEUE,
        STRIPE_API_BASE: emulator.url,
        WORKER_METRICS_PORT: String(metricsPort),
        WORKFLOW_BUNDLE_PATH: workflowBundle().codePath,
      },
      stdio: ['ignore', 'inherit', 'inherit'],
    });
    api = await startTestApi({
      orm: db.orm,
      temporal: env.client,
      listener,
      env: {
        TEMPORAL_TASK_QUEUE: TASK_QUEUE,
        OIDC_ISSUER: idp.issuer,
        OIDC_JWKS_URL: idp.jwksUrl,
        STRIPE_API_BASE: emulator.url,
        STRIPE_WEBHOOK_SECRET: WEBHOOK_SECRET,
        METRICS_TOKEN,
      },
    });
    await waitUntil(
      () =>
        fetch(workerMetrics).then(
          (r) => r.status,
          () => 0,
        ),
      (status) => status === 200,
      'the worker to serve its metrics',
      60_000,
      250,
    );
    // Its exporter is up before it polls: wait until the API sees a worker on the queue, or a checkout
    // meets the API's no_worker answer on a slow machine.
    await waitUntil(
      () =>
        fetch(`${api.url}/readyz`).then(
          (r) => r.status,
          () => 0,
        ),
      (status) => status === 200,
      'the worker to poll the task queue',
      90_000,
      250,
    );
  }, 180_000);

  afterAll(async () => {
    // The worker drains on SIGTERM; Temporal and the emulator must outlive it.
    if (worker && worker.exitCode === null) {
      const exited = new Promise((resolve) => worker.once('exit', resolve));
      worker.kill('SIGTERM');
      await exited;
    }
    await api?.stop();
    await emulator?.stop();
    await idp?.stop();
    await db?.close();
    await env?.teardown();
  });

  /** Every metric name either endpoint served during this suite, with its type. */
  const served = new Map<string, string>();
  afterEach(async () => {
    for (const url of [`${api.url}/metrics`, workerMetrics]) {
      const { types } = parsePrometheusText((await scrape(url, METRICS_TOKEN)).text);
      for (const [name, type] of types) served.set(name, type);
    }
  });

  it('refuses a scrape without the token, and answers Prometheus text with it', async () => {
    expect((await scrape(`${api.url}/metrics`)).status).toBe(401);
    expect((await scrape(`${api.url}/metrics`, 'not-the-token-of-this-api')).status).toBe(401);
    const ok = await scrape(`${api.url}/metrics`, METRICS_TOKEN);
    expect(ok.status).toBe(200);
    expect(ok.type).toMatch(/^text\/plain; version=0\.0\.4/);
  });

  it("serves the worker's metrics on loopback only when METRICS_HOST is not set", () => {
    expect(listeningAddresses(Number(new URL(workerMetrics).port))).toEqual(['127.0.0.1']);
  });

  it('moves the API and worker figures a subscription, usage, check-access and Stripe events should move', async () => {
    const before = parsePrometheusText((await scrape(`${api.url}/metrics`, METRICS_TOKEN)).text).samples;
    const userId = `kc-metrics-${Date.now()}`;
    const email = `${userId}@example.com`;
    const em = db.orm.em.fork();
    em.create(Customer, { id: newId('cust'), userId, email });
    await em.flush();
    const token = await idp.token({ sub: userId, email });

    // A subscription through Checkout: the worker calls Stripe, Stripe's events reach the API.
    const checkout = await api.request('POST', '/api/v1/billing/checkout/create', {
      token,
      body: { tier_id: 'professional', billing_cycle: 'monthly' },
    });
    expect(checkout.status).toBe(200);
    emulator.completeCheckoutSession(checkout.body.session_id, { cardNumber: '4242424242424242' });
    await waitUntil(
      () => api.request('GET', '/api/v1/billing/subscription', { token }),
      (r) => r.body?.status === 'active',
      'the subscription to be active',
      30_000,
    );
    // Usage: two accepted, one repeated, one refused for its type.
    const events = [
      { id: 'm-1', type: 'inference', quantity: 3 },
      { id: 'm-2', type: 'inference', quantity: 4 },
      { id: 'm-1', type: 'inference', quantity: 3 },
      { id: 'm-3', type: 'no-such-type', quantity: 1 },
    ];
    const report = await api.request('POST', '/api/v1/billing/report_usage', { token, body: { events } });
    expect(report.body).toMatchObject({ accepted: 2, duplicate: 1, rejected: 1 });
    const reason = report.body.rejected_events[0].reason as string;
    const access = await api.request('POST', '/api/v1/subscriptions/check-access/chat', { token });
    expect(access.status).toBe(200);

    // The business gauges are read at most every 15 s; this scrape must not get the figures from before.
    refreshBusinessFigures();
    const after = await waitUntil(
      async () => parsePrometheusText((await scrape(`${api.url}/metrics`, METRICS_TOKEN)).text),
      (m) => total(m.samples, 'billing_webhook_events_total', { outcome: 'forwarded' }) > 0,
      'a Stripe event to be forwarded',
    );
    const moved = (name: string, labels: Record<string, string> = {}) =>
      total(after.samples, name, labels) - total(before, name, labels);
    expect(after.types.get('billing_http_request_duration_seconds')).toBe('histogram');
    expect(after.types.get('billing_usage_events_total')).toBe('counter');
    expect(after.types.get('billing_subscriptions')).toBe('gauge');
    expect(moved('billing_usage_events_total', { outcome: 'accepted' })).toBe(2);
    expect(moved('billing_usage_events_total', { outcome: 'duplicate' })).toBe(1);
    expect(moved('billing_usage_events_total', { outcome: 'rejected', reason })).toBe(1);
    expect(moved('billing_check_access_duration_seconds_count', { allowed: 'true' })).toBe(1);
    // The report's new events went to the ledger in one commit of their own.
    expect(moved('billing_usage_ledger_commits_total')).toBe(1);
    expect(moved('billing_usage_ledger_reports_total')).toBe(1);
    expect(moved('billing_usage_ledger_commit_seconds_total')).toBeGreaterThan(0);
    expect(moved('billing_event_loop_busy_seconds_total')).toBeGreaterThan(0);
    expect(moved('billing_webhook_events_total', { outcome: 'received' })).toBeGreaterThan(0);
    expect(
      moved('billing_http_request_duration_seconds_count', {
        method: 'POST',
        route: '/api/v1/billing/report_usage',
        status: '200',
      }),
    ).toBe(1);
    expect(total(after.samples, 'billing_subscriptions', { status: 'active', tier: 'professional' })).toBe(1);
    expect(total(after.samples, 'billing_db_pool_connections', { state: 'free' })).toBeGreaterThanOrEqual(0);
    expect(after.types.get('process_cpu_seconds_total')).toBe('counter');
    // No label carries an id of a customer, event, invoice or subscription.
    const labelValues = after.samples.flatMap((s) => Object.values(s.labels));
    expect(labelValues.filter((v) => /(cus|cust|sub|subs|in|evt)_[A-Za-z0-9]{6,}/.test(v))).toEqual([]);
    expect(labelValues).not.toContain(userId);

    // The worker: the SDK's own figures and the engine's, through the same exporter. The usage rollup's
    // first cycle runs as the worker starts; its lag gauge shows once that cycle has run.
    const w = await waitUntil(
      async () => parsePrometheusText((await scrape(workerMetrics)).text),
      (m) => m.types.has('billing_usage_rollup_lag_seconds'),
      "the usage rollup's first cycle",
      30_000,
      250,
    );
    for (const m of [after, w]) for (const [name, type] of m.types) served.set(name, type);
    expect([...w.types.keys()].filter((n) => n.startsWith('temporal_')).length).toBeGreaterThan(5);
    expect(w.types.get('billing_usage_rollup_lag_seconds')).toBe('gauge');
    expect(w.types.get('billing_stripe_requests_total')).toBe('counter');
    expect(w.types.get('billing_stripe_request_duration_seconds')).toBe('histogram');
    expect(
      total(w.samples, 'billing_stripe_requests_total', { resource: 'checkout', status: '200' }),
    ).toBeGreaterThan(0);
    expect(w.types.get('temporal_activity_execution_latency_seconds')).toBe('histogram');
    expect(
      total(w.samples, 'temporal_activity_execution_latency_seconds_count', {
        activity_type: 'createCheckoutSession',
      }),
    ).toBeGreaterThan(0);
    expect(w.types.get('temporal_workflow_task_schedule_to_start_latency_seconds')).toBe('histogram');
  }, 120_000);

  it('has a dashboard and alert rules whose every query names a metric the engine serves', () => {
    const root = join(__dirname, '..', '..', 'ops');
    const dashboard = JSON.parse(
      readFileSync(join(root, 'grafana', 'billing-engine-dashboard.json'), 'utf8'),
    ) as {
      uid: string;
      panels: { id: number; title: string; targets: { expr: string }[] }[];
    };
    const alerts = parse(readFileSync(join(root, 'prometheus', 'alerts.yml'), 'utf8')) as {
      groups: { rules: { alert: string; expr: string; for: string; labels: { severity: string } }[] }[];
    };
    expect(dashboard.uid).toBeTruthy();
    expect(new Set(dashboard.panels.map((p) => p.id)).size).toBe(dashboard.panels.length);
    const rules = alerts.groups.flatMap((g) => g.rules);
    expect(rules.map((r) => r.alert)).toEqual(
      expect.arrayContaining([
        'BillingWebhookForwardLagHigh',
        'BillingStripeEventsStuck',
        'BillingStripeErrorRateHigh',
        'BillingUsageRollupStuck',
        'BillingWorkerDown',
        'BillingAccessSyncFailing',
        'BillingUsageReportsShed',
      ]),
    );
    // Paging is for what stops billing; stale access for a few users, or reports the gateway sends again, is a
    // ticket.
    const tickets = new Set(['BillingAccessSyncFailing', 'BillingUsageReportsShed']);
    for (const r of rules) {
      const severity = tickets.has(r.alert) ? 'ticket' : 'page';
      expect(r).toMatchObject({ for: expect.any(String), labels: { severity } });
    }
    const queries = [
      ...dashboard.panels.flatMap((p) =>
        p.targets.map((t) => ({ where: `panel "${p.title}"`, expr: t.expr })),
      ),
      ...rules.map((r) => ({ where: `alert ${r.alert}`, expr: r.expr })),
    ];
    expect(served.size).toBeGreaterThan(20);
    const unknown: string[] = [];
    for (const q of queries) {
      const names = [...q.expr.matchAll(/\b((?:billing|temporal|process|nodejs)_[a-zA-Z0-9_]*)/g)].map(
        (m) => m[1] as string,
      );
      // Prometheus' own `up` (is the target scraped at all) is the one metric neither endpoint serves.
      if (names.length === 0) expect(q.expr).toMatch(/\bup\{job="billing-(api|worker)"\}/);
      for (const name of names) {
        const base = name.replace(/_(bucket|count|sum)$/, '');
        const known = served.has(name) || (base !== name && served.get(base) === 'histogram');
        if (!known) unknown.push(`${q.where}: ${name}`);
      }
    }
    expect(unknown).toEqual([]);
  });
});
