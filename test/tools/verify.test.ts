import { execFile } from 'node:child_process';
import { createServer } from 'node:net';
import { resolve } from 'node:path';
import type Stripe from 'stripe';
import { createStripeClient } from '../../integrations/stripe/client';
import { syncCatalog } from '../../integrations/stripe/catalog-sync';
import {
  RECOMMENDED_STRIPE_EVENTS,
  REQUIRED_STRIPE_EVENTS,
  verifyIntegration,
  type VerifyInput,
} from '../../services/setup/verify-integration';
import { startLagoFake, type LagoFake } from '../../tools/lago-fake';
import { startStripeEmulator, type StripeEmulator } from '../../tools/stripe-emulator';
import { openTestDatabase } from '../helpers/db';
import { STRIPE_EVENTS_ACTED_ON } from '../../services/stripe-events/subscribed-events';

const ROOT = resolve(__dirname, '../..');
const PUBLIC_BASE_URL = 'https://billing.example.com';

/** `npm run verify` as an operator runs it: its own process, configured by the environment only. */
function runVerify(env: Record<string, string>): Promise<{ code: number; out: string }> {
  return new Promise((done) => {
    execFile(
      process.execPath,
      [require.resolve('tsx/cli'), 'tools/verify.ts'],
      {
        cwd: ROOT,
        env: { PATH: process.env.PATH ?? '', LOG_LEVEL: 'silent', NODE_ENV: 'test', ...env },
        timeout: 60_000,
      },
      (err, stdout, stderr) => done({ code: err ? Number(err.code ?? 1) : 0, out: `${stdout}${stderr}` }),
    );
  });
}

/** A loopback port with nothing listening on it. */
function closedPort(): Promise<number> {
  return new Promise((ok, fail) => {
    const srv = createServer();
    srv.on('error', fail);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => ok(port));
    });
  });
}

describe.each(['sqlite', 'postgresql'] as const)('npm run verify against the emulator (%s)', (dialect) => {
  let db: Awaited<ReturnType<typeof openTestDatabase>>;
  let emulator: StripeEmulator;
  let stripe: Stripe;
  let lago: LagoFake;
  let webhookSecret: string;
  let env: Record<string, string>;

  beforeAll(async () => {
    [db, emulator, lago] = await Promise.all([
      openTestDatabase(dialect),
      startStripeEmulator({ port: 0 }),
      startLagoFake({ port: 0 }),
    ]);
    stripe = createStripeClient({ apiBase: emulator.url }) as Stripe;
    await syncCatalog(stripe, db.orm);
    const endpoint = await stripe.webhookEndpoints.create({
      url: `${PUBLIC_BASE_URL}/api/v1/billing/webhooks/stripe`,
      enabled_events: [...REQUIRED_STRIPE_EVENTS, ...RECOMMENDED_STRIPE_EVENTS],
    });
    webhookSecret = endpoint.secret as string;
    env = {
      DATABASE_URL: db.url,
      STRIPE_SECRET_KEY: 'sk_test_verify',
      STRIPE_API_BASE: emulator.url,
      STRIPE_WEBHOOK_SECRET: webhookSecret,
      PUBLIC_BASE_URL,
      LAGO_API_URL: lago.url,
      LAGO_API_KEY: lago.apiKey,
    };
  }, 60_000);
  afterAll(async () => {
    await Promise.all([emulator?.stop(), lago?.stop()]);
    await db?.close();
  });

  const input = (over: Partial<VerifyInput> = {}): VerifyInput => ({
    orm: db.orm,
    stripe,
    stripeSecretKey: 'sk_test_verify',
    stripeApiBase: emulator.url,
    stripeWebhookSecret: webhookSecret,
    publicBaseUrl: PUBLIC_BASE_URL,
    keycloak: null,
    lago: { apiUrl: lago.url, apiKey: lago.apiKey },
    ...over,
  });
  const failed = (r: Awaited<ReturnType<typeof verifyIntegration>>) =>
    r.checks.filter((c) => c.status === 'fail').map((c) => `${c.system} ${c.name}`);

  it('passes a synced catalog, a complete webhook endpoint and a working Lago, and exits 0', async () => {
    const { code, out } = await runVerify(env);
    expect({ code, out }).toEqual({ code: 0, out: expect.stringContaining('every check passed') });
    for (const line of [
      '✓ API key: a test mode secret key of account acct_emulator',
      '✓ usage meter: meter billing_engine_usage_cost exists',
      '✓ plan catalog:',
      '✓ webhook endpoint:',
      '? webhook secret matches:',
      '✓ API key: Lago at',
      '✓ plans: a Lago plan exists for every tier',
      '- user-attribute sync: KEYCLOAK_* not set',
    ])
      expect(out).toContain(line);
    expect(out).not.toContain('✗');
  }, 90_000);

  /** What the engine itself refuses to start without in production, set as a deployment would. */
  const production = () => ({
    ...env,
    NODE_ENV: 'production',
    OIDC_ISSUER: 'https://sso.example.com/realms/billing',
    OIDC_AUDIENCE: 'billing-engine',
    METRICS_TOKEN: 'a-scrape-token-of-32-characters!',
  });

  /** A plaintext listener standing in for the balancer, on `host`; closed by the returned function. */
  async function plaintextBalancer(host: string): Promise<{ port: number; close(): Promise<void> }> {
    const server = createServer((socket) => socket.end());
    await new Promise<void>((ok, fail) => {
      server.on('error', fail);
      server.listen(0, host, ok);
    });
    return {
      port: (server.address() as { port: number }).port,
      close: () => new Promise((ok) => server.close(() => ok())),
    };
  }

  it('fails a plaintext loopback PUBLIC_BASE_URL whose port listens on every interface, naming it', async () => {
    const balancer = await plaintextBalancer('0.0.0.0');
    try {
      const url = `http://localhost:${balancer.port}`;
      const { code, out } = await runVerify({ ...production(), PUBLIC_BASE_URL: url });
      expect(code).toBe(1);
      const line = out.split('\n').find((l) => l.includes('public address'));
      expect(line).toMatch(/^\s*✗ public address: PUBLIC_BASE_URL/);
      expect(line).toContain(url);
      expect(line).toContain('0.0.0.0');
    } finally {
      await balancer.close();
    }
  }, 90_000);

  it('passes a plaintext loopback PUBLIC_BASE_URL whose port listens on loopback only', async () => {
    const balancer = await plaintextBalancer('127.0.0.1');
    try {
      const url = `http://localhost:${balancer.port}`;
      const { out } = await runVerify({ ...production(), PUBLIC_BASE_URL: url });
      expect(out).toMatch(/✓ public address: .*loopback only/);
    } finally {
      await balancer.close();
    }
  }, 90_000);

  it('fails WEBHOOK_ALLOW_PRIVATE_URLS=true in production, naming it', async () => {
    const { code, out } = await runVerify({ ...production(), WEBHOOK_ALLOW_PRIVATE_URLS: 'true' });
    expect(code).toBe(1);
    expect(out).toContain('✗ outgoing webhooks: WEBHOOK_ALLOW_PRIVATE_URLS=true');
    expect(out).toContain('1 check(s) failed');
  }, 90_000);

  it("finds the emulator's own forwarding address (npm run dev's setup) as the webhook endpoint", async () => {
    const secret = 'whsec_forwarding_like_stripe_listen';
    const forwarding = await startStripeEmulator({
      port: 0,
      webhook: { url: `${PUBLIC_BASE_URL}/api/v1/billing/webhooks/stripe`, secret },
    });
    try {
      const client = createStripeClient({ apiBase: forwarding.url }) as Stripe;
      const listed = (await client.webhookEndpoints.list()).data;
      expect(listed).toEqual([
        expect.objectContaining({
          url: `${PUBLIC_BASE_URL}/api/v1/billing/webhooks/stripe`,
          status: 'enabled',
        }),
      ]);
      const r = await verifyIntegration(
        input({ stripe: client, stripeApiBase: forwarding.url, stripeWebhookSecret: secret }),
      );
      expect(r.checks.find((c) => c.name === 'webhook endpoint')).toMatchObject({ status: 'pass' });
      expect(failed(r).filter((f) => f.includes('webhook'))).toEqual([]);
    } finally {
      await forwarding.stop();
    }
  });

  it('exits non-zero and names the item when STRIPE_WEBHOOK_SECRET is missing', async () => {
    const { STRIPE_WEBHOOK_SECRET: _unset, ...rest } = env;
    const { code, out } = await runVerify(rest);
    expect(code).toBe(1);
    expect(out).toContain('✗ webhook secret: STRIPE_WEBHOOK_SECRET is not set');
    expect(out).toContain('1 check(s) failed');
  }, 90_000);

  it('fails the catalog and the meter on a Stripe account that was never synced', async () => {
    const fresh = await startStripeEmulator({ port: 0 });
    try {
      const report = await verifyIntegration(
        input({ stripe: createStripeClient({ apiBase: fresh.url }) as Stripe, stripeApiBase: fresh.url }),
      );
      expect(report.ok).toBe(false);
      expect(failed(report)).toEqual(
        expect.arrayContaining(['Stripe usage meter', 'Stripe plan catalog', 'Stripe webhook endpoint']),
      );
      const catalog = report.checks.find((c) => c.name === 'plan catalog');
      expect(catalog?.detail).toContain('create price starter_v1_monthly');
      expect(catalog?.fix).toContain('npm run stripe:sync');
    } finally {
      await fresh.stop();
    }
  });

  it('fails the webhook item when the endpoint leaves out an event the engine needs', async () => {
    const partial = await stripe.webhookEndpoints.create({
      url: 'https://other.example.com/api/v1/billing/webhook',
      enabled_events: ['checkout.session.completed', 'invoice.paid'],
    });
    try {
      const report = await verifyIntegration(input({ publicBaseUrl: 'https://other.example.com' }));
      const events = report.checks.find((c) => c.name === 'webhook events');
      expect(events).toMatchObject({ status: 'fail' });
      expect(events?.detail).toContain('invoice.payment_failed');
      expect(events?.detail).toContain('customer.subscription.updated');
    } finally {
      await stripe.webhookEndpoints.del(partial.id);
    }
  });

  it('warns when the endpoint takes every event, and not when it takes the ones the engine acts on', async () => {
    const all = await stripe.webhookEndpoints.create({
      url: 'https://all.example.com/api/v1/billing/webhooks/stripe',
      enabled_events: ['*'],
    });
    const listed = await stripe.webhookEndpoints.create({
      url: 'https://listed.example.com/api/v1/billing/webhooks/stripe',
      enabled_events: [...STRIPE_EVENTS_ACTED_ON],
    });
    try {
      const everything = await verifyIntegration(input({ publicBaseUrl: 'https://all.example.com' }));
      expect(everything.checks.find((c) => c.name === 'webhook events (all)')).toMatchObject({
        status: 'warn',
        detail: expect.stringContaining(`acts on ${STRIPE_EVENTS_ACTED_ON.length} types`),
      });
      expect(everything.checks.find((c) => c.name === 'webhook endpoint')?.status).toBe('pass');
      const some = await verifyIntegration(input({ publicBaseUrl: 'https://listed.example.com' }));
      expect(some.checks.some((c) => c.name === 'webhook events (all)')).toBe(false);
      expect(some.checks.find((c) => c.name === 'webhook endpoint')?.status).toBe('pass');
      expect(some.checks.some((c) => c.name === 'webhook events (recommended)')).toBe(false);
    } finally {
      await stripe.webhookEndpoints.del(all.id);
      await stripe.webhookEndpoints.del(listed.id);
    }
  });

  it('fails the Stripe key when Stripe refuses it, and checks nothing that needs it', async () => {
    const refused = createStripeClient({ secretKey: 'sk_live_wrong', apiBase: emulator.url }) as Stripe;
    const report = await verifyIntegration(input({ stripe: refused, stripeSecretKey: 'sk_live_wrong' }));
    expect(failed(report)).toEqual(['Stripe API key']);
    expect(report.checks[0]?.detail).toContain('refused a live mode secret key');
    expect(report.checks.some((c) => c.name === 'plan catalog')).toBe(false);
  });

  it('names a refused Lago key, a Lago plan that is missing, and an unreachable Keycloak', async () => {
    const wrongKey = await verifyIntegration(input({ lago: { apiUrl: lago.url, apiKey: 'nope' } }));
    expect(wrongKey.checks.find((c) => c.system === 'Lago')).toMatchObject({
      name: 'API key',
      status: 'fail',
      detail: expect.stringContaining('refused LAGO_API_KEY'),
    });

    const partialLago = await startLagoFake({
      port: 0,
      plans: [{ code: 'starter', name: 'Starter', amount_cents: 1900 }],
    });
    try {
      const missing = await verifyIntegration(
        input({ lago: { apiUrl: partialLago.url, apiKey: partialLago.apiKey } }),
      );
      const plans = missing.checks.find((c) => c.system === 'Lago' && c.name === 'plans');
      expect(plans?.status).toBe('fail');
      expect(plans?.detail).toContain('professional');
      expect(plans?.detail).not.toContain('starter,');
    } finally {
      await partialLago.stop();
    }

    const port = await closedPort();
    const keycloak = await verifyIntegration(
      input({
        keycloak: {
          url: `http://127.0.0.1:${port}`,
          realm: 'billing',
          clientId: 'billing-engine',
          clientSecret: 'secret',
          timeoutMs: 2000,
        },
      }),
    );
    expect(keycloak.checks.find((c) => c.system === 'Keycloak')).toMatchObject({
      name: 'client credentials',
      status: 'fail',
      detail: expect.stringContaining('could not be reached'),
    });
  });
});
