import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Connection } from '@temporalio/client';
import { msToTs } from '@temporalio/common/lib/time';
import type { TemporalConnectionOptions } from '../../config/temporal-connection';
import { startCluster, type Cluster } from '../../tools/cluster/cluster';
import { waitUntil } from '../helpers/eventually';
import { listeningAddresses } from '../helpers/listening';
import { makeTestCa } from '../helpers/test-ca';
import { launchChromium, screenshot } from '../web/browser';

// Temporal and PostgreSQL each restarted once, and an API killed: each waits for the stack to recover.
jest.setTimeout(300_000);

/**
 * The production topology on one machine (`npm run cluster`): PostgreSQL, Temporal and Keycloak on it,
 * two APIs behind nginx, two workers, the engine in production mode taking Keycloak's tokens. What it
 * proves here: the schema tool's versions, PostgreSQL's passwords, Temporal's mTLS, a customer's
 * subscription through the balancer, and that it holds when an API is killed, Temporal restarts and
 * PostgreSQL crashes.
 */
describe('the production topology on one machine', () => {
  let dir: string;
  let cluster: Cluster;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'cluster-'));
    // PostgreSQL runs as its own user (the suite may run as root) and must reach its data folder in here.
    chmodSync(dir, 0o755);
    cluster = await startCluster({ dir, ports: 'free', workflowBundle: process.env.TEST_WORKFLOW_BUNDLE });
  });
  afterAll(async () => {
    await cluster?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const call = async (method: string, path: string, token: string, body?: unknown) => {
    const res = await fetch(`${cluster.urls.api}/api/v1${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return {
      status: res.status,
      body: (await res.json().catch(() => null)) as Record<string, unknown> | null,
    };
  };
  /** Until the process at `url` answers /readyz with 200 (a refused connection counts as not yet). */
  const readyAgain = (url: string, what: string, timeoutMs: number, everyMs: number) =>
    waitUntil(
      () =>
        fetch(`${url}/readyz`).then(
          (r) => r.status,
          () => 0,
        ),
      (s) => s === 200,
      what,
      timeoutMs,
      everyMs,
    );
  const psql = (database: string, sql: string) =>
    execFileSync('psql', [cluster.urls.postgres.replace(/\/postgres$/, `/${database}`), '-Atc', sql], {
      encoding: 'utf8',
    }).trim();

  it("installs Temporal's schemas with its SQL tool, at the versions the server expects", () => {
    expect(psql('temporal', 'SELECT curr_version FROM schema_version')).toBe('1.18');
    expect(psql('temporal_visibility', 'SELECT curr_version FROM schema_version')).toBe('1.9');
    // Temporal's data is in its own databases, not in the engine's.
    expect(psql('billing', "SELECT count(*) FROM pg_tables WHERE tablename = 'executions'")).toBe('0');
    expect(psql('postgres', "SELECT count(*) FROM pg_database WHERE datname = 'keycloak'")).toBe('1');
  });

  it('asks every PostgreSQL connection for a password, and each service reaches only its own databases', () => {
    const { port } = new URL(cluster.urls.postgres);
    const withoutPassword = (user: string) => () =>
      execFileSync(
        'psql',
        ['-h', '127.0.0.1', '-p', port, '-U', user, '-d', 'billing', '-w', '-Atc', 'SELECT 1'],
        {
          env: { PATH: process.env.PATH, PGPASSFILE: '/nonexistent/.pgpass' },
          stdio: 'pipe',
        },
      );
    for (const user of ['postgres', 'billing', 'temporal', 'keycloak'])
      expect(withoutPassword(user)).toThrow(/no password supplied|password authentication failed/);

    // The engine's own URL names its own role, which owns its database and nothing else.
    const engine = new URL(cluster.urls.databaseUrl);
    expect(engine.username).toBe('billing');
    const asEngine = (database: string, sql: string) => {
      const url = new URL(engine);
      url.pathname = `/${database}`;
      return execFileSync('psql', [url.toString(), '-w', '-Atc', sql], {
        encoding: 'utf8',
        env: { PATH: process.env.PATH, PGPASSFILE: '/nonexistent/.pgpass' },
        stdio: 'pipe',
      }).trim();
    };
    expect(asEngine('billing', 'SELECT current_user')).toBe('billing');
    expect(
      asEngine(
        'billing',
        'SELECT rolsuper OR rolcreaterole OR rolcreatedb FROM pg_roles WHERE rolname = current_user',
      ),
    ).toBe('f');
    for (const database of ['keycloak', 'temporal', 'temporal_visibility'])
      expect(() => asEngine(database, 'SELECT 1')).toThrow(/permission denied for database/);
  });

  it('serves from both API processes behind the balancer, and the Temporal UI', async () => {
    for (const url of [...cluster.urls.apis, cluster.urls.api]) {
      const ready = await fetch(`${url}/readyz`).then((r) => r.json());
      expect(ready).toMatchObject({
        status: 'ready',
        checks: { database: 'ok', temporal: 'ok', worker: 'ok' },
      });
    }
    expect((await fetch(`${cluster.urls.temporalUi}/`)).status).toBe(200);
  });

  /**
   * What a Temporal client with these options is answered: `accepted`, or why not. A lazy connection
   * without retries answers at once with the channel's last error (the handshake's).
   */
  const temporalAnswer = async (options: TemporalConnectionOptions): Promise<string> => {
    const connection = Connection.lazy({ ...options, interceptors: [] });
    try {
      await connection.withDeadline(Date.now() + 5000, () =>
        connection.workflowService.describeNamespace({ namespace: cluster.namespace }),
      );
      return 'accepted';
    } catch (err) {
      return String((err as Error).message ?? err);
    } finally {
      await connection.close();
    }
  };

  it("lets into Temporal only clients with a certificate of this run's CA: none in plaintext, none without one", async () => {
    const address = cluster.urls.temporal;
    // Any local user's client, as `temporal workflow terminate --address 127.0.0.1:…` would dial it.
    expect(await temporalAnswer({ address })).toMatch(/UNAVAILABLE/);
    // Nor do its history and matching services, which answer only Temporal's own (internode mTLS).
    for (const internal of cluster.urls.temporalInternal)
      expect({ internal, answer: await temporalAnswer({ address: internal }) }).toEqual({
        internal,
        answer: expect.stringMatching(/UNAVAILABLE/),
      });
    // Its HTTP API is behind the frontend's mTLS too.
    const http = await fetch(
      `http://${cluster.urls.temporalHttp}/api/v1/namespaces/${cluster.namespace}`,
    ).then(
      (r) => r.status,
      () => 'no answer',
    );
    expect([400, 'no answer']).toContain(http);

    // A client that trusts the frontend's certificate but has none of its own, or one another CA signed.
    const tls = cluster.temporalConnection.tls!;
    const trusting = {
      serverNameOverride: tls.serverNameOverride,
      serverRootCACertificate: tls.serverRootCACertificate,
    };
    const forged = makeTestCa(dir, 'intruder-ca').issue('billing-engine', 'client');
    const answers = {
      harness: await temporalAnswer(cluster.temporalConnection),
      none: await temporalAnswer({ address, tls: trusting }),
      otherCa: await temporalAnswer({
        address,
        tls: {
          ...trusting,
          clientCertPair: { crt: readFileSync(forged.certPath), key: readFileSync(forged.keyPath) },
        },
      }),
    };
    expect(answers).toEqual({
      harness: 'accepted',
      none: expect.stringMatching(/certificate required/),
      otherCa: expect.stringMatching(/unknown ca/),
    });

    // The UI's server reaches the frontend with its own certificate.
    const ui = await fetch(`${cluster.urls.temporalUi}/api/v1/namespaces/${cluster.namespace}`);
    expect(ui.status).toBe(200);
    expect(await ui.json()).toMatchObject({ namespaceInfo: { name: cluster.namespace } });

    // So does the server's system worker: deleting a namespace is its workflow, started by the frontend.
    const connection = await Connection.connect(cluster.temporalConnection);
    try {
      await connection.workflowService.registerNamespace({
        namespace: 'scratch',
        workflowExecutionRetentionPeriod: msToTs('1 day'),
      });
      const deleted = await connection.withDeadline(Date.now() + 60_000, () =>
        connection.operatorService.deleteNamespace({ namespace: 'scratch' }),
      );
      expect(deleted.deletedNamespace).toMatch(/^scratch-deleted-/);
    } finally {
      await connection.close();
    }
  });

  it('keeps a subscription through a killed API, a Temporal restart and a PostgreSQL crash', async () => {
    const token = await cluster.token({ email: 'topology@example.com' });
    const checkout = await call('POST', '/billing/checkout/create', token, { tier_id: 'starter' });
    expect(checkout.status).toBe(200);
    const paid = await fetch(
      `${cluster.urls.stripe}/_emulator/checkout_sessions/${String(checkout.body!.session_id)}/complete`,
      { method: 'POST', body: new URLSearchParams({ card_number: '4242424242424242' }) },
    );
    expect(paid.status).toBe(200);
    const getSub = () => call('GET', '/billing/subscription', token);
    // Stripe's webhooks reach the workflow through the balancer.
    await waitUntil(getSub, (r) => r.body?.status === 'active', 'the subscription to be active', 60_000, 200);
    // The engine signs in to Keycloak as its own client and writes what the gateway's checks read.
    const attributes = await waitUntil(
      () => cluster.keycloakAttributes('topology@example.com'),
      (a) => a?.subscription_status?.[0] === 'active',
      'Keycloak to hold the subscription',
      60_000,
      500,
    );
    expect(attributes).toMatchObject({ subscription_tier: ['starter'] });

    // An API killed: every request in the meantime is answered by the other one.
    const api1 = cluster.process('api-1');
    cluster.kill('api-1');
    const during = await Promise.all(Array.from({ length: 20 }, () => getSub()));
    expect(during.map((r) => r.status)).toEqual(Array(20).fill(200));
    await readyAgain(cluster.urls.apis[0]!, 'api-1 to be back', 60_000, 200);
    expect(api1.restarts).toBe(1);

    // Temporal killed and started again on its PostgreSQL: the workflow takes a signal as before.
    cluster.kill('temporal');
    await readyAgain(cluster.urls.api, 'Temporal to be back', 120_000, 500);
    const cancel = await waitUntil(
      () => call('POST', '/billing/subscription/cancel', token, {}),
      (r) => r.status !== 503 && r.status !== 504,
      'the cancel to be taken',
      60_000,
      500,
    );
    expect(cancel.status).toBe(200);
    await waitUntil(
      getSub,
      (r) => r.body?.cancel_at_period_end === true,
      'the cancel to reach the mirror',
      60_000,
      200,
    );

    // PostgreSQL crashes (an immediate stop, recovery from its log): the engine reconnects.
    cluster.restartPostgres({ crash: true });
    const resume = await waitUntil(
      () => call('POST', '/billing/subscription/resume', token, {}),
      (r) => r.status < 500,
      'the resume to be taken after the crash',
      90_000,
      500,
    );
    expect(resume.status).toBe(200);
    await waitUntil(
      getSub,
      (r) => r.body?.cancel_at_period_end === false,
      'the resume to reach the mirror',
      60_000,
      200,
    );
    expect(cluster.process('temporal').restarts).toBe(1);
  });

  it("answers the gateway's checks from the access lane, and from the APIs while the lane is down", async () => {
    const gateway = await cluster.token({ email: 'gateway@example.com', role: 'billing-gateway' });
    const check = () =>
      call('POST', '/subscriptions/check-access/api?customer_email=topology%40example.com', gateway);
    /** check-access's requests a process has answered, by its request metrics. */
    const checksServed = async (metricsUrl: string) => {
      const text = await fetch(metricsUrl, {
        headers: { authorization: `Bearer ${cluster.metricsToken}` },
      }).then((r) => r.text());
      let n = 0;
      for (const m of text.matchAll(
        /^billing_http_request_duration_seconds_count\{[^}]*route="\/api\/v1\/subscriptions\/check-access\/:service"[^}]*\} (\d+)$/gm,
      ))
        n += Number(m[1]);
      return n;
    };
    const served = async () => ({
      lane: await checksServed(cluster.urls.accessLaneMetrics),
      apis: (await Promise.all(cluster.urls.apiMetrics.map(checksServed))).reduce((a, b) => a + b, 0),
    });
    const lane = await fetch(`${cluster.urls.accessLane}/readyz`).then((r) => r.json());
    expect(lane).toMatchObject({ status: 'ready', checks: { database: 'ok', temporal: 'not_needed' } });

    const before = await served();
    const answers = await Promise.all(Array.from({ length: 10 }, check));
    expect(answers.map((a) => [a.status, a.body?.allowed])).toEqual(Array(10).fill([200, true]));
    // The balancer sent every check to the lane, and a report, which the lane refuses, to the APIs.
    expect(await served()).toEqual({ lane: before.lane + 10, apis: before.apis });
    const report = await call('POST', '/billing/report_usage', gateway, {
      id: 'topology-lane-1',
      type: 'inference',
      quantity: 1,
      customer_email: 'topology@example.com',
    });
    expect(report.status).toBe(200);

    // The lane killed: the APIs answer its paths, and the gateway sees no gap.
    const laneProcess = cluster.process('api-access');
    cluster.kill('api-access');
    const during = await Promise.all(Array.from({ length: 10 }, check));
    expect(during.map((a) => [a.status, a.body?.allowed])).toEqual(Array(10).fill([200, true]));
    await readyAgain(cluster.urls.accessLane, 'the access lane to be back', 60_000, 200);
    expect(laneProcess.restarts).toBe(1);
  });

  it('lets an operator sign in through Keycloak at the balancer and open the console', async () => {
    const operator = await cluster.person({ email: 'operator@example.com', role: 'admin' });
    const chromium = await launchChromium();
    try {
      const page = await (
        await chromium.browser.newContext({ viewport: { width: 1280, height: 900 } })
      ).newPage();
      page.setDefaultTimeout(30_000);
      await page.goto(`${cluster.urls.api}/billing`);
      await page.getByRole('button', { name: 'Continue to sign-in' }).click();
      await page.waitForURL((u) => u.href.startsWith(cluster.urls.keycloak));
      await page.locator('#username').fill(operator.email);
      await page.locator('#password').fill(operator.password);
      await page.locator('#kc-login').click();
      await page.getByText(operator.email).waitFor();
      await page.getByRole('navigation').getByRole('link', { name: 'Customers' }).click();
      await page.getByRole('heading', { level: 1, name: 'Customers' }).waitFor();
      // The customer who subscribed above, listed by the engine behind nginx.
      await page.getByText('topology@example.com').first().waitFor();
      await screenshot(page, 'cluster-console-signed-in-through-keycloak');
    } finally {
      await chromium.close();
    }
  });

  it('stops every process it started', async () => {
    const ports = [
      cluster.urls.api,
      ...cluster.urls.apis,
      cluster.urls.accessLane,
      cluster.urls.stripe,
      cluster.urls.temporalUi,
      cluster.urls.keycloak,
    ].map((u) => Number(new URL(u).port));
    ports.push(Number(cluster.urls.temporal.split(':')[1]), Number(new URL(cluster.urls.postgres).port));
    expect(ports.filter((p) => listeningAddresses(p).length > 0)).toHaveLength(ports.length);
    await cluster.stop();
    expect(ports.filter((p) => listeningAddresses(p).length > 0)).toEqual([]);
  });
});
