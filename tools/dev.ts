/**
 * `npm run dev`: the whole engine on embedded defaults. Starts a Temporal dev server (unless
 * TEMPORAL_ADDRESS is set), the Stripe emulator (unless a Stripe key or API base is set), the worker and
 * the API as supervised child processes (one that dies is restarted), prints where everything is, and on
 * Ctrl-C stops them in reverse order.
 */
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Connection } from '@temporalio/client';
import { ConfigError, loadConfig } from '../config/env';
import { withoutTemporalTls } from '../config/temporal-tls';
import { createStripeClient, EMULATOR_KEY } from '../integrations/stripe/client';
import { openDatabase } from '../db/orm';
import { syncCatalogToStripe } from '../services/setup/sync-catalog-to-stripe';
import { DEFAULT_PORT as EMULATOR_DEFAULT_PORT } from './stripe-emulator';
import { Supervisor } from './supervise';
import { ALL_SEARCH_ATTRIBUTES } from '../workflows/search-attributes';
import { STRIPE_EVENTS_ACTED_ON } from '../services/stripe-events/subscribed-events';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { DEV_SERVER_DYNAMIC_CONFIG } = require('./temporal-cli') as { DEV_SERVER_DYNAMIC_CONFIG: string[] };

const TEMPORAL_PORT = 7233;
const UI_PORT = 8233;
let stopping = false;
const supervisor = new Supervisor({
  log: (line) => console.error(`[dev] ${line}`),
  onGiveUp: (name) => {
    console.error(`[dev] ${name} cannot stay up; stopping everything`);
    void shutdown(1);
  },
});

function prefixLines(name: string, stream: NodeJS.ReadableStream, out: NodeJS.WriteStream): void {
  let buf = '';
  stream.on('data', (chunk: Buffer) => {
    buf += chunk.toString();
    let i: number;
    while ((i = buf.indexOf('\n')) >= 0) {
      out.write(`[${name}] ${compact(buf.slice(0, i))}\n`);
      buf = buf.slice(i + 1);
    }
  });
}

/** pino's JSON lines, shortened for a terminal. */
function compact(line: string): string {
  if (!line.startsWith('{')) return line;
  try {
    const {
      level,
      time: _t,
      pid: _p,
      hostname: _h,
      name: _n,
      msg,
      ...rest
    } = JSON.parse(line) as Record<string, unknown>;
    const levels: Record<number, string> = {
      10: 'trace',
      20: 'debug',
      30: 'info',
      40: 'WARN',
      50: 'ERROR',
      60: 'FATAL',
    };
    const extra = Object.keys(rest).length ? ` ${JSON.stringify(rest)}` : '';
    return `${levels[Number(level)] ?? level} ${String(msg)}${extra}`;
  } catch {
    return line;
  }
}

/**
 * Everything shares this machine: the worker and Temporal run at nice 10 so the API, which answers Stripe
 * and the frontend, gets the CPU first (`nice` execs the command, so signals reach it unchanged).
 */
function background(cmd: string, args: string[]): [string, string[]] {
  return process.platform === 'win32' ? [cmd, args] : ['nice', ['-n', '10', cmd, ...args]];
}

function start(name: string, cmd: string, args: string[], env: NodeJS.ProcessEnv): void {
  supervisor.start(
    { name, command: cmd, args, env },
    {
      onSpawn: (proc: ChildProcess) => {
        prefixLines(name, proc.stdout!, process.stdout);
        prefixLines(name, proc.stderr!, process.stderr);
      },
    },
  );
}

async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (stopping) return;
    if (await check().catch(() => false)) return;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`${what} did not become ready within ${timeoutMs / 1000} s`);
}

async function shutdown(code: number): Promise<void> {
  if (stopping) return;
  stopping = true;
  console.error('[dev] stopping…');
  await supervisor.stopAll();
  process.exit(code);
}

/** A webhook secret for the local emulator, kept under VAR_DIR so it survives restarts. */
function devWebhookSecret(varDir: string): string {
  const file = join(varDir, 'stripe-webhook-secret');
  if (!existsSync(file)) writeFileSync(file, `whsec_${randomBytes(24).toString('hex')}`, { mode: 0o600 });
  return readFileSync(file, 'utf8').trim();
}

async function main(): Promise<void> {
  const config = loadConfig();
  mkdirSync(config.VAR_DIR, { recursive: true });
  // Without TEMPORAL_ADDRESS the dev server below is plaintext on loopback; with it, the API and the worker
  // reach that cluster with the TEMPORAL_TLS_* and TEMPORAL_API_KEY given.
  const ownTemporal = !process.env.TEMPORAL_ADDRESS;
  const childEnv = ownTemporal ? withoutTemporalTls(process.env) : process.env;
  if (ownTemporal && Object.keys(process.env).length !== Object.keys(childEnv).length)
    console.error('[dev] TEMPORAL_TLS* and TEMPORAL_API_KEY ignored: they need TEMPORAL_ADDRESS');
  // The worker's metrics on a port of their own; the API's are at /metrics (open outside production).
  const env: NodeJS.ProcessEnv = { WORKER_METRICS_PORT: '9464', ...childEnv };
  process.on('SIGINT', () => void shutdown(0));
  process.on('SIGTERM', () => void shutdown(0));

  let temporalAddress = config.TEMPORAL_ADDRESS;
  if (!process.env.TEMPORAL_ADDRESS) {
    const cli = process.env.TEMPORAL_CLI_PATH;
    if (!cli) throw new Error('TEMPORAL_CLI_PATH is not set: start through `npm run dev`');
    temporalAddress = `127.0.0.1:${TEMPORAL_PORT}`;
    const args = ['server', 'start-dev', '--ip', '127.0.0.1', '--port', String(TEMPORAL_PORT)];
    args.push('--ui-port', String(UI_PORT), '--db-filename', join(config.VAR_DIR, 'temporal.sqlite'));
    args.push('--namespace', config.TEMPORAL_NAMESPACE, '--log-level', 'error', ...DEV_SERVER_DYNAMIC_CONFIG);
    for (const key of ALL_SEARCH_ATTRIBUTES) {
      const type = key.type === 'DATETIME' ? 'Datetime' : 'Keyword';
      args.push('--search-attribute', `${key.name}=${type}`);
    }
    start('temporal', ...background(cli, args), env);
    await waitFor('Temporal', async () => {
      const conn = await Connection.connect({ address: temporalAddress, connectTimeout: 1000 });
      try {
        await conn.workflowService.describeNamespace({ namespace: config.TEMPORAL_NAMESPACE });
        return true;
      } finally {
        await conn.close();
      }
    });
  }
  env.TEMPORAL_ADDRESS = temporalAddress;
  if (!process.env.TEMPORAL_ADDRESS) env.TEMPORAL_UI_URL ??= `http://127.0.0.1:${UI_PORT}`;
  const tsx = require.resolve('tsx/cli');
  // Migrate once, before the processes that share the database start.
  const orm = await openDatabase(config.DATABASE_URL);
  let emulatorUrl: string | null = null;
  if (!config.STRIPE_SECRET_KEY && !config.STRIPE_API_BASE) {
    // No Stripe key: the repo's Stripe emulator plays Stripe, and sends its webhooks to our API. Its state
    // file keeps customers and subscriptions as long as the database and Temporal keep theirs; its test
    // clocks let `npm run stripe:advance` move a customer's time.
    const secret = config.STRIPE_WEBHOOK_SECRET ?? devWebhookSecret(config.VAR_DIR);
    const port = Number(process.env.STRIPE_EMULATOR_PORT ?? EMULATOR_DEFAULT_PORT);
    emulatorUrl = `http://127.0.0.1:${port}`;
    start('stripe', process.execPath, [tsx, 'tools/stripe-emulator/main.ts'], {
      ...env,
      STRIPE_EMULATOR_PORT: String(port),
      STRIPE_EMULATOR_WEBHOOK_URL: `http://127.0.0.1:${config.PORT}/api/v1/billing/webhooks/stripe`,
      // As a production endpoint is set up (docs/stripe.md): only the events the engine acts on.
      STRIPE_EMULATOR_WEBHOOK_EVENTS: STRIPE_EVENTS_ACTED_ON.join(','),
      STRIPE_WEBHOOK_SECRET: secret,
      STRIPE_EMULATOR_STATE: resolve(config.VAR_DIR, 'stripe-emulator.json'),
      STRIPE_EMULATOR_AUTO_TEST_CLOCK: '1',
    });
    const probe = `${emulatorUrl}/v1/customers?limit=1`;
    const auth = { authorization: `Bearer ${EMULATOR_KEY}` };
    await waitFor('Stripe emulator', async () => (await fetch(probe, { headers: auth })).ok);
    env.STRIPE_API_BASE = emulatorUrl;
    env.STRIPE_WEBHOOK_SECRET = secret;
  }
  const stripe = createStripeClient({ secretKey: config.STRIPE_SECRET_KEY, apiBase: env.STRIPE_API_BASE });
  if (stripe && emulatorUrl) {
    const { changes } = await syncCatalogToStripe({ stripe, orm });
    console.error(`[dev] Stripe emulator on ${emulatorUrl}; catalog synced (${changes} changes)`);
  }
  await orm.close();

  start('worker', ...background(process.execPath, [tsx, 'worker/main.ts']), env);
  start('api', process.execPath, [tsx, 'api/main.ts'], env);
  const base = `http://127.0.0.1:${config.PORT}`;
  await waitFor('API', async () => (await fetch(`${base}/readyz`)).ok, 120_000);
  if (stopping) return;
  console.log(`
  Billing engine is ready.
    Web app        ${base}/
    API            ${base}/api/v1
    API docs       ${base}/docs   (OpenAPI: ${base}/openapi.json)
    Health         ${base}/healthz, ${base}/readyz
    Metrics        ${base}/metrics (API), http://127.0.0.1:${env.WORKER_METRICS_PORT}/metrics (worker); Grafana dashboard: ops/grafana
    Temporal UI    ${process.env.TEMPORAL_ADDRESS ? '(your Temporal cluster)' : `http://127.0.0.1:${UI_PORT}`}
    Database       ${config.DATABASE_URL.replace(/\/\/([^:@/]+):[^@/]*@/, '//$1:***@')}
    Stripe         ${env.STRIPE_API_BASE && !config.STRIPE_SECRET_KEY ? `emulator at ${env.STRIPE_API_BASE} (test cards: 4242 4242 4242 4242 succeeds)` : 'your Stripe account'}
  A token for trying it:  npm run token -- --email you@example.com --role admin${
    emulatorUrl
      ? '\n  Renewals and dunning:  npm run stripe:advance -- --email you@example.com --days 31'
      : ''
  }
  Ctrl-C stops everything.
`);
}

main().catch((err: unknown) => {
  console.error(err instanceof ConfigError ? err.message : (err as Error).message);
  void shutdown(1);
});
