/**
 * The production topology (./topology.ts) on one machine, without containers: PostgreSQL with its own
 * databases, a Temporal server on it with its schema tool and UI, Keycloak on it with the engine's realm
 * (./keycloak-realm.ts), two API processes and an access lane behind nginx, two workers, and the Stripe emulator in place of
 * Stripe. The engine runs in production mode, taking Keycloak's tokens only. Every long-running process
 * is supervised (one that dies is started again), so a test or the chaos run can kill any of them and
 * watch the rest hold.
 *
 * Loopback only. PostgreSQL asks every connection for a password, and each service signs in as its own
 * role with a password made for the run. Temporal takes only clients with a certificate of a CA made for
 * the run (mTLS on its frontend, and among its own services): the engine, the UI, the server's system
 * worker and the harness (`temporalConnection`) each have their own. Data stays in `dir` between runs
 * (PostgreSQL, the emulator's state); logs go to `dir/logs/<service>.log`.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  createWriteStream,
  existsSync,
  mkdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
  type WriteStream,
} from 'node:fs';
import { createServer } from 'node:net';
import { delimiter, dirname, join, resolve } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { temporalConnectionOptions, type TemporalConnectionOptions } from '../../config/temporal-connection';
import type { UsageRollupInput } from '../../workflows/usage-rollup';
import { ensureUsageRollup } from '../../worker/usage-rollup';
import { bundleWorkflows } from '../../worker/workflow-bundle';
import { createStripeClient, EMULATOR_KEY } from '../../integrations/stripe/client';
import { openDatabase } from '../../db/orm';
import { syncCatalogToStripe } from '../../services/setup/sync-catalog-to-stripe';
import { Supervisor, type SupervisedChild } from '../supervise';
import {
  ENGINE_CLIENT,
  GATEWAY_CLIENT,
  HARNESS_CLIENT,
  provisionRealm,
  REALM,
  WEB_CLIENT,
  type ClusterRealm,
  type ClusterRole,
} from './keycloak-realm';
import { service, TEMPORAL_GOGC_DEFAULT, TOPOLOGY, workerTuning, type ServiceSpec } from './topology';
import { compiledEngine } from '../compiled-engine';
import { STRIPE_EVENTS_ACTED_ON } from '../../services/stripe-events/subscribed-events';

/* eslint-disable @typescript-eslint/no-require-imports */
const { startPostgres, ensurePostgres } = require('../postgres') as {
  startPostgres(opts: {
    dir: string;
    port?: number;
    durable?: boolean;
    log?: (l: string) => void;
    superuserPassword?: string;
  }): Promise<{
    url: string;
    port: number;
    stop(opts?: { crash?: boolean }): void;
    restart(opts?: { crash?: boolean }): void;
  }>;
  ensurePostgres(opts?: { log?: (l: string) => void }): string;
};
const { ensureTemporalTools } = require('../temporal-server') as {
  ensureTemporalTools(opts?: { log?: (l: string) => void }): { server: string; sqlTool: string; ui: string };
};
const { ensureNginx, writeNginxConfig } = require('../nginx') as {
  ensureNginx(opts?: { log?: (l: string) => void }): string;
  /** nginx's configuration around ops/nginx's server block, filled in from `values`; returns its main file. */
  writeNginxConfig(dir: string, values: Record<string, string>): string;
};
const { ensureKeycloakForPostgres, keycloakOnPostgresCommand } = require('../keycloak') as {
  ensureKeycloakForPostgres(opts?: { log?: (l: string) => void }): Promise<string>;
  keycloakOnPostgresCommand(o: {
    home: string;
    port: number;
    dataDir: string;
    db: { url: string; user: string; password: string };
    admin: { user: string; password: string };
  }): { command: string; args: string[]; env: Record<string, string> };
};
const { installDebianPackage } = require('../debian-package') as {
  installDebianPackage(pkg: string, what: string, opts?: { log?: (l: string) => void }): void;
};
/* eslint-enable @typescript-eslint/no-require-imports */

const ROOT = resolve(__dirname, '..', '..');
const NAMESPACE = 'billing';
const TASK_QUEUE = 'billing';
/** The name on the frontend's certificate (ops/tls/make-certs.sh), which its clients check. */
const TEMPORAL_SERVER_NAME = 'temporal';

export interface ClusterOptions {
  /** Where data and logs live; reused by the next start. */
  dir: string;
  /** `fixed`: the documented ports (`npm run cluster`); `free`: any free ones (tests, chaos). */
  ports?: 'fixed' | 'free';
  log?: (line: string) => void;
  /** A prebuilt workflow bundle; otherwise one is built into `dir`. */
  workflowBundle?: string;
  /** More configuration for every engine process (e.g. rate limits a test needs). */
  engineEnv?: Record<string, string>;
  /**
   * The usage rollup's cadence, started before the workers (which find it running): the chaos run rolls
   * up every few seconds where production waits five minutes.
   */
  usageRollup?: UsageRollupInput;
  /** The engine's processes run compiled, as in its image (a benchmark), rather than from source. */
  compiled?: boolean;
  /**
   * The emulator's state file (default on) and a cap on its webhook deliveries at once (default none).
   * A benchmark of thousands of subscriptions turns the file off: the emulator rewrites it whole after
   * every change, which at that size costs more than Stripe's part of the work; and caps the deliveries,
   * so a burst of renewals does not open more connections than nginx takes.
   */
  stripeEmulator?: { stateFile?: boolean; webhookConcurrency?: number };
}

export interface ClusterUrls {
  /** The balancer: what clients, the web app and Stripe's webhooks use. */
  api: string;
  /** Each API process directly. */
  apis: string[];
  /** The access lane directly (API_SERVES=access): the balancer sends it the gateway's checks. */
  accessLane: string;
  /** Temporal's frontend (host:port): mTLS, with `Cluster.temporalConnection` or a certificate alike. */
  temporal: string;
  /** The frontend's HTTP API (host:port), behind the same mTLS. */
  temporalHttp: string;
  /** Temporal's history and matching services (host:port), which answer only its own services. */
  temporalInternal: string[];
  temporalUi: string;
  stripe: string;
  /** The engine's: its own role (`billing`) and this run's password. */
  databaseUrl: string;
  /** The superuser's, with this run's password: for the harness and its tests, never a service. */
  postgres: string;
  /** Keycloak (its admin console at /admin). */
  keycloak: string;
  /** Each API's and each worker's Prometheus metrics (scraped with `metricsToken`), in name order. */
  apiMetrics: string[];
  accessLaneMetrics: string;
  workerMetrics: string[];
  /** The Temporal server's own Prometheus metrics. */
  temporalMetrics: string;
}

export interface Cluster {
  urls: ClusterUrls;
  namespace: string;
  taskQueue: string;
  varDir: string;
  /**
   * How the harness reaches Temporal (its tests, the chaos run, the benchmarks): the frontend's address
   * and this run's CA, with the client certificate ops/tls/make-certs.sh makes for an operator's CLI.
   */
  temporalConnection: TemporalConnectionOptions;
  webhookSecret: string;
  /** The bearer token the engine's metrics ports ask for. */
  metricsToken: string;
  /** The configuration every engine process of the cluster gets, for one more started beside them. */
  engineEnv: Readonly<NodeJS.ProcessEnv>;
  /** Keycloak's administrator (master realm). */
  keycloakAdmin: { user: string; password: string };
  /**
   * An access token from Keycloak for a person of this email (signed up there on first use, holding the
   * engine's role), or a client-credentials token with the gateway's role for `billing-gateway`: both from
   * the harness's own client (`cluster-test-harness`), valid for an hour.
   */
  token(user: { email: string; role?: ClusterRole }): Promise<string>;
  /** A person of the cluster's realm (made on first use) and the password they sign in with. */
  person: ClusterRealm['person'];
  /** The attributes Keycloak holds for a person the cluster signed in; null when there is none. */
  keycloakAttributes(email: string): Promise<Record<string, string[]> | null>;
  /**
   * A supervised process by service name (api-1, api-access, worker-2, temporal, temporal-ui, keycloak,
   * stripe, balancer).
   */
  process(name: string): SupervisedChild;
  /** Sends a signal to a service's current process; the supervisor starts it again once it has exited. */
  kill(name: string, signal?: NodeJS.Signals): number;
  /** Stops PostgreSQL (as a crash, or cleanly) and starts it again on the same port and data. */
  restartPostgres(opts?: { crash?: boolean }): void;
  stop(): Promise<void>;
}

/** The documented ports of `npm run cluster`, apart from `npm run dev`'s (3000, 7233, 8233, 12211). */
const FIXED_PORTS = {
  postgres: 15432,
  balancer: 4000,
  api1: 4001,
  api2: 4002,
  apiAccess: 4003,
  apiMetrics1: 9101,
  apiMetrics2: 9102,
  apiAccessMetrics: 9103,
  workerMetrics1: 9465,
  workerMetrics2: 9466,
  temporal: 17233,
  temporalHttp: 17243,
  temporalMetrics: 17290,
  temporalHistory: 17234,
  temporalMatching: 17235,
  temporalWorker: 17239,
  temporalFrontendMembership: 16933,
  temporalHistoryMembership: 16934,
  temporalMatchingMembership: 16935,
  temporalWorkerMembership: 16939,
  ui: 18233,
  stripe: 12212,
  keycloak: 18080,
};
type Ports = typeof FIXED_PORTS;

async function allocatePorts(kind: 'fixed' | 'free'): Promise<Ports> {
  if (kind === 'fixed') return FIXED_PORTS;
  const taken = new Set<number>();
  const entries: [string, number][] = [];
  for (const key of Object.keys(FIXED_PORTS)) {
    // Every port below the OS's ephemeral range (32768 and up): a port found free there can be taken by any
    // outgoing connection before its server binds it (a test beside this one took Temporal's matching
    // port, and every restart then failed to bind), and Temporal keeps membership ports in a smallint
    // column, which ephemeral ports fail at its first heartbeat.
    let port = await lowFreePort();
    while (taken.has(port)) port = await lowFreePort();
    taken.add(port);
    entries.push([key, port]);
  }
  return Object.fromEntries(entries) as Ports;
}

/** A free loopback port below 32768, tried at random from 20000 up. */
async function lowFreePort(): Promise<number> {
  for (;;) {
    const port = 20_000 + Math.floor(Math.random() * 12_000);
    const free = await new Promise<boolean>((res) => {
      const srv = createServer();
      srv.once('error', () => res(false));
      srv.listen(port, '127.0.0.1', () => srv.close(() => res(true)));
    });
    if (free) return port;
  }
}

/** A secret kept in `dir` across runs, made on first use. */
function keptSecret(dir: string, name: string, make: () => string): string {
  const file = join(dir, name);
  if (!existsSync(file)) writeFileSync(file, make(), { mode: 0o600 });
  return readFileSync(file, 'utf8').trim();
}

/** The cluster's certificates are made with the `openssl` command, installed once when missing. */
function ensureOpenssl(log: (line: string) => void): void {
  try {
    execFileSync('openssl', ['version'], { stdio: 'ignore' });
  } catch {
    installDebianPackage('openssl', 'OpenSSL', { log });
  }
}

/**
 * The TEMPORAL_TLS_* settings of a client of Temporal's frontend, with the certificate make-certs.sh put
 * in `folder` (engine, temporal-ui, admin): the frontend's certificate checked against the run's CA, for
 * the name it was issued for.
 */
function temporalClientTls(tlsDir: string, folder: string) {
  return {
    TEMPORAL_TLS_SERVER_CA_CERT_PATH: join(tlsDir, folder, 'ca.pem'),
    TEMPORAL_TLS_SERVER_NAME: TEMPORAL_SERVER_NAME,
    TEMPORAL_TLS_CLIENT_CERT_PATH: join(tlsDir, folder, 'temporal-client.pem'),
    TEMPORAL_TLS_CLIENT_KEY_PATH: join(tlsDir, folder, 'temporal-client.key'),
  };
}

/**
 * The engine's image runs compiled JavaScript. Here the same entry point runs from source (tsx), unless the
 * caller measures the cluster (`compiled`): then from dist/, as the image does, since tsx costs the API a
 * fifth more CPU a request.
 */
function engineCommand(
  spec: ServiceSpec,
  compiled: boolean,
  log: (line: string) => void,
): [string, string[]] {
  const [program, main] = spec.command ?? [];
  if (program !== 'node' || !main?.startsWith('dist/'))
    throw new Error(`${spec.name}: not an engine command`);
  const script = main.replace(/^dist\//, '').replace(/\.js$/, '');
  return [
    process.execPath,
    [
      ...cpuProfile(spec.name),
      ...(compiled ? [compiledEngine(script, log)] : ['--import', 'tsx', `${script}.ts`]),
    ],
  ];
}

/**
 * `CLUSTER_CPU_PROFILE_DIR=dir`: each engine process and the Stripe emulator write their CPU profile in a
 * folder of `dir` named after the process as they stop, to find where a benchmark's CPU goes (`node
 * --cpu-prof`; open it in Chrome's DevTools). Node's own file names, as a worker's workflow threads and a
 * restarted process write profiles of their own, which one name would overwrite.
 */
function cpuProfile(name: string): string[] {
  const profileDir = process.env.CLUSTER_CPU_PROFILE_DIR;
  return profileDir ? ['--cpu-prof', `--cpu-prof-dir=${resolve(profileDir, name)}`] : [];
}

/** A command of the Temporal image, with its programs found where tools/temporal-server.js built them. */
function temporalCommand(spec: ServiceSpec, tools: { server: string; sqlTool: string; ui: string }) {
  const [program = '', ...args] = spec.command ?? [];
  const paths: Record<string, string> = {
    'temporal-server': tools.server,
    'temporal-ui-server': tools.ui,
  };
  return [paths[program] ?? program, args] as [string, string[]];
}

export async function startCluster(opts: ClusterOptions): Promise<Cluster> {
  const log = opts.log ?? (() => {});
  const engineOf = (spec: ServiceSpec) => engineCommand(spec, opts.compiled ?? false, log);
  const dir = resolve(opts.dir);
  const logs = join(dir, 'logs');
  const varDir = join(dir, 'var');
  mkdirSync(logs, { recursive: true });
  mkdirSync(varDir, { recursive: true });
  const pgBin = ensurePostgres({ log });
  const tools = ensureTemporalTools({ log });
  const nginx = ensureNginx({ log });
  ensureOpenssl(log);
  const keycloakHome = await ensureKeycloakForPostgres({ log });
  const ports = await allocatePorts(opts.ports ?? 'free');
  const streams: WriteStream[] = [];
  const logTo = (name: string) => {
    const stream = createWriteStream(join(logs, `${name}.log`), { flags: 'a' });
    streams.push(stream);
    return stream;
  };
  const supervisor = new Supervisor({ log, quickCrashMs: 5_000, maxQuickCrashes: 8 });
  const children = new Map<string, SupervisedChild>();
  const supervise = (name: string, command: string, args: string[], env: NodeJS.ProcessEnv) => {
    const out = logTo(name);
    const child = supervisor.start(
      { name, command, args, env, cwd: ROOT },
      {
        onSpawn: (proc) => {
          proc.stdout!.pipe(out, { end: false });
          proc.stderr!.pipe(out, { end: false });
        },
      },
    );
    children.set(name, child);
    return child;
  };
  const processOf = (name: string) => {
    const child = children.get(name);
    if (!child) throw new Error(`no process ${name} in the cluster`);
    return child;
  };
  const runJob = async (name: string, command: string, args: string[], env: NodeJS.ProcessEnv) => {
    const out = logTo(name);
    const proc: ChildProcess = spawn(command, args, { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let tail = '';
    const keep = (chunk: Buffer) => {
      out.write(chunk);
      tail = (tail + chunk.toString()).slice(-3000);
    };
    proc.stdout!.on('data', keep);
    proc.stderr!.on('data', keep);
    const code = await new Promise<number | null>((res, rej) => {
      proc.once('exit', res);
      proc.once('error', rej);
    });
    if (code !== 0) throw new Error(`${name} failed (exit ${String(code)}):\n${tail}`);
    log(`${name}: done`);
  };

  // Only what every process needs from the caller's environment: none of its engine configuration.
  const base: NodeJS.ProcessEnv = {};
  for (const key of ['PATH', 'HOME', 'TMPDIR', 'LANG', 'TZ', 'GOCACHE', 'GOPATH', 'JAVA_HOME'] as const)
    if (process.env[key]) base[key] = process.env[key];

  let pg: Awaited<ReturnType<typeof startPostgres>> | null = null;
  // A caller that exits without stop() (Ctrl-C on a run, a crash) must not leave servers behind.
  const killAll = () => {
    for (const child of children.values()) {
      try {
        if (child.pid !== undefined) process.kill(child.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    try {
      pg?.stop({ crash: true });
    } catch {
      // not running
    }
  };
  process.once('exit', killAll);
  const stop = async () => {
    process.removeListener('exit', killAll);
    await supervisor.stopAll();
    pg?.stop();
    pg = null;
    for (const s of streams) s.end();
  };
  try {
    // A role per service, each owning only its own databases (ops/postgres/create-roles.sh, as compose
    // runs it), and every connection asked for a password (scram-sha-256). The passwords, the
    // superuser's included, are made for this run alone and kept by no file: the services get theirs in
    // their URLs, and the next start makes new ones.
    const pgDir = join(dir, 'postgres');
    const rolesMade = join(dir, 'postgres-roles');
    if (existsSync(join(pgDir, 'data', 'PG_VERSION')) && !existsSync(rolesMade)) {
      throw new Error(
        `${pgDir} was made before the cluster gave each service its own role (its tables belong to the ` +
          'superuser, whom no service signs in as any more): start again with --fresh, or remove that folder',
      );
    }
    const pgPasswords = {
      superuser: randomBytes(24).toString('hex'),
      billing: randomBytes(24).toString('hex'),
      temporal: randomBytes(24).toString('hex'),
      keycloak: randomBytes(24).toString('hex'),
    };
    pg = await startPostgres({
      dir: pgDir,
      port: ports.postgres,
      durable: true,
      log,
      superuserPassword: pgPasswords.superuser,
    });
    writeFileSync(rolesMade, 'ops/postgres/create-roles.sh\n');
    await runJob('postgresql', 'sh', [join(ROOT, 'ops', 'postgres', 'create-roles.sh')], {
      ...base,
      PATH: [pgBin, base.PATH].filter(Boolean).join(delimiter),
      PGHOST: '127.0.0.1',
      PGPORT: String(pg.port),
      PGPASSWORD: pgPasswords.superuser,
      POSTGRES_USER: 'postgres',
      POSTGRES_DB: 'postgres',
      POSTGRES_PASSWORD: pgPasswords.superuser,
      BILLING_DB_PASSWORD: pgPasswords.billing,
      TEMPORAL_DB_PASSWORD: pgPasswords.temporal,
      KEYCLOAK_DB_PASSWORD: pgPasswords.keycloak,
    });
    const databaseUrl = `postgres://billing:${pgPasswords.billing}@127.0.0.1:${pg.port}/billing`;

    // Keycloak first: it takes the longest to start (its first start on an empty database creates the
    // master realm), and starts while Temporal does.
    const keycloakUrl = `http://127.0.0.1:${ports.keycloak}`;
    const keycloakAdmin = {
      user: 'admin',
      password: keptSecret(dir, 'keycloak-admin-password', () => randomBytes(18).toString('hex')),
    };
    const kc = keycloakOnPostgresCommand({
      home: keycloakHome,
      port: ports.keycloak,
      dataDir: join(dir, 'keycloak'),
      db: {
        url: `jdbc:postgresql://127.0.0.1:${pg.port}/keycloak`,
        user: 'keycloak',
        password: pgPasswords.keycloak,
      },
      admin: keycloakAdmin,
    });
    supervise('keycloak', kc.command, kc.args, { ...base, ...kc.env });

    // Temporal's certificates, made at every start as the passwords are, by ops/tls/make-certs.sh as for
    // compose: a CA of the run's own, the frontend's certificate, one for the server's system worker, the
    // engine, the UI and the harness (an operator's), and one its services present to each other. The
    // CA's key is deleted once they are issued: nothing left on disk signs another.
    const tlsDir = join(dir, 'tls');
    rmSync(tlsDir, { recursive: true, force: true });
    await runJob('certificates', 'sh', [join(ROOT, 'ops', 'tls', 'make-certs.sh'), tlsDir], {
      ...base,
      TEMPORAL_INTERNODE: '1',
      NO_KEYCLOAK_CERT: '1',
      // Run as root, the script gives the files to this uid (the user the services run as here).
      SECRETS_UID: String(process.getuid?.() ?? 0),
    });
    rmSync(join(tlsDir, 'ca', 'ca.key'));
    const temporalCerts = join(tlsDir, 'temporal');

    const temporalEnv: NodeJS.ProcessEnv = {
      ...base,
      PATH: [dirname(tools.sqlTool), base.PATH].filter(Boolean).join(delimiter),
      TEMPORAL_DB_HOST: '127.0.0.1',
      TEMPORAL_DB_PORT: String(pg.port),
      TEMPORAL_DB_USER: 'temporal',
      TEMPORAL_DB_PASSWORD: pgPasswords.temporal,
      // Its databases exist, owned by its role, which may not create databases.
      TEMPORAL_CREATE_DATABASES: 'false',
      TEMPORAL_FRONTEND_PORT: String(ports.temporal),
      TEMPORAL_FRONTEND_HTTP_PORT: String(ports.temporalHttp),
      TEMPORAL_FRONTEND_MEMBERSHIP_PORT: String(ports.temporalFrontendMembership),
      TEMPORAL_HISTORY_PORT: String(ports.temporalHistory),
      TEMPORAL_HISTORY_MEMBERSHIP_PORT: String(ports.temporalHistoryMembership),
      TEMPORAL_MATCHING_PORT: String(ports.temporalMatching),
      TEMPORAL_MATCHING_MEMBERSHIP_PORT: String(ports.temporalMatchingMembership),
      TEMPORAL_WORKER_PORT: String(ports.temporalWorker),
      TEMPORAL_WORKER_MEMBERSHIP_PORT: String(ports.temporalWorkerMembership),
      TEMPORAL_FRONTEND_BIND_IP: '127.0.0.1',
      TEMPORAL_METRICS_ADDRESS: `127.0.0.1:${ports.temporalMetrics}`,
      // Another dynamic config file, for a benchmark to try the server's settings (docs/operations.md).
      ...(process.env.TEMPORAL_DYNAMIC_CONFIG
        ? { TEMPORAL_DYNAMIC_CONFIG: process.env.TEMPORAL_DYNAMIC_CONFIG }
        : {}),
      // Go's profiler on loopback, to find where the server's CPU goes (ops/temporal/config/production.yaml).
      ...(process.env.TEMPORAL_PPROF_PORT ? { TEMPORAL_PPROF_PORT: process.env.TEMPORAL_PPROF_PORT } : {}),
    };
    await runJob('temporal-schema', ...temporalCommand(service('temporal-schema'), tools), temporalEnv);
    supervise('temporal', ...temporalCommand(service('temporal'), tools), {
      ...temporalEnv,
      GOGC: process.env.TEMPORAL_GOGC || TEMPORAL_GOGC_DEFAULT,
      ...(process.env.TEMPORAL_GOMEMLIMIT ? { GOMEMLIMIT: process.env.TEMPORAL_GOMEMLIMIT } : {}),
      // mTLS on the frontend (ops/temporal/config/production.yaml), as compose sets it.
      TEMPORAL_TLS_FRONTEND_CERT_PATH: join(temporalCerts, 'frontend.pem'),
      TEMPORAL_TLS_FRONTEND_KEY_PATH: join(temporalCerts, 'frontend.key'),
      TEMPORAL_TLS_CLIENT_CA_CERT_PATH: join(temporalCerts, 'ca.pem'),
      // The server's own system worker is a client of its frontend like any other.
      TEMPORAL_TLS_SERVER_CA_CERT_PATH: join(temporalCerts, 'ca.pem'),
      TEMPORAL_TLS_SERVER_NAME: TEMPORAL_SERVER_NAME,
      TEMPORAL_TLS_CLIENT_CERT_PATH: join(temporalCerts, 'system-worker.pem'),
      TEMPORAL_TLS_CLIENT_KEY_PATH: join(temporalCerts, 'system-worker.key'),
      // And mTLS among its services (history, matching, membership): here they listen on the host's
      // loopback, which every local user reaches, where compose keeps them inside one container.
      TEMPORAL_TLS_INTERNODE_CERT_PATH: join(temporalCerts, 'internode.pem'),
      TEMPORAL_TLS_INTERNODE_KEY_PATH: join(temporalCerts, 'internode.key'),
      TEMPORAL_TLS_INTERNODE_CA_CERT_PATH: join(temporalCerts, 'ca.pem'),
    });
    const temporalAddress = `127.0.0.1:${ports.temporal}`;
    const temporalConnection = temporalConnectionOptions({
      TEMPORAL_ADDRESS: temporalAddress,
      ...temporalClientTls(tlsDir, 'admin'),
    });

    const balancer = `http://127.0.0.1:${ports.balancer}`;
    const engineSecret = keptSecret(dir, 'keycloak-engine-secret', () => randomBytes(24).toString('hex'));
    // Production mode, as deployed: tokens from Keycloak only, for this engine's audience.
    const engine: NodeJS.ProcessEnv = {
      ...base,
      NODE_ENV: 'production',
      OIDC_ISSUER: `${keycloakUrl}/realms/${REALM}`,
      OIDC_AUDIENCE: ENGINE_CLIENT,
      OIDC_WEB_CLIENT_ID: WEB_CLIENT,
      // The deployment's three clients, and the harness's own for the scripts that call the cluster.
      OIDC_ALLOWED_CLIENTS: [ENGINE_CLIENT, WEB_CLIENT, GATEWAY_CLIENT, HARNESS_CLIENT].join(','),
      KEYCLOAK_URL: keycloakUrl,
      KEYCLOAK_REALM: REALM,
      KEYCLOAK_CLIENT_ID: ENGINE_CLIENT,
      KEYCLOAK_CLIENT_SECRET: engineSecret,
      PUBLIC_BASE_URL: balancer,
      METRICS_TOKEN: keptSecret(dir, 'metrics-token', () => randomBytes(18).toString('hex')),
      LOG_LEVEL: 'info',
      DATABASE_URL: databaseUrl,
      TEMPORAL_ADDRESS: temporalAddress,
      ...temporalClientTls(tlsDir, 'engine'),
      TEMPORAL_NAMESPACE: NAMESPACE,
      TEMPORAL_TASK_QUEUE: TASK_QUEUE,
      TEMPORAL_UI_URL: `http://127.0.0.1:${ports.ui}`,
      VAR_DIR: varDir,
    };
    await runJob('temporal-namespace', ...engineOf(service('temporal-namespace')), {
      ...engine,
      TEMPORAL_RETENTION_DAYS: '7',
    });
    supervise('temporal-ui', ...temporalCommand(service('temporal-ui'), tools), {
      ...base,
      TEMPORAL_ADDRESS: temporalAddress,
      // Its own certificate (ops/temporal/ui/production.yaml).
      ...temporalClientTls(tlsDir, 'temporal-ui'),
      TEMPORAL_NAMESPACE: NAMESPACE,
      TEMPORAL_UI_HOST: '127.0.0.1',
      TEMPORAL_UI_PORT: String(ports.ui),
      TEMPORAL_UI_PUBLIC_URL: `http://127.0.0.1:${ports.ui}`,
    });
    await runJob('migrate', ...engineOf(service('migrate')), engine);

    // Stripe: the emulator, its webhooks sent to the balancer as Stripe's would be.
    const webhookSecret = keptSecret(
      dir,
      'stripe-webhook-secret',
      () => `whsec_${randomBytes(24).toString('hex')}`,
    );
    const stripeUrl = `http://127.0.0.1:${ports.stripe}`;
    supervise(
      'stripe',
      process.execPath,
      [...cpuProfile('stripe'), '--import', 'tsx', 'tools/stripe-emulator/main.ts'],
      {
        ...base,
        STRIPE_EMULATOR_PORT: String(ports.stripe),
        STRIPE_EMULATOR_WEBHOOK_URL: `${balancer}/api/v1/billing/webhooks/stripe`,
        // As a production endpoint is set up (docs/stripe.md): only the events the engine acts on.
        STRIPE_EMULATOR_WEBHOOK_EVENTS: STRIPE_EVENTS_ACTED_ON.join(','),
        STRIPE_WEBHOOK_SECRET: webhookSecret,
        ...(opts.stripeEmulator?.stateFile === false
          ? {}
          : { STRIPE_EMULATOR_STATE: join(dir, 'stripe-emulator.json') }),
        ...(opts.stripeEmulator?.webhookConcurrency
          ? { STRIPE_EMULATOR_WEBHOOK_CONCURRENCY: String(opts.stripeEmulator.webhookConcurrency) }
          : {}),
        STRIPE_EMULATOR_AUTO_TEST_CLOCK: '1',
      },
    );
    await waitFor('the Stripe emulator', () =>
      fetch(`${stripeUrl}/v1/customers?limit=1`, {
        headers: { authorization: `Bearer ${EMULATOR_KEY}` },
      }).then((r) => r.status < 500),
    );
    const orm = await openDatabase(databaseUrl, { migrate: false });
    try {
      const stripe = createStripeClient({ secretKey: undefined, apiBase: stripeUrl });
      if (stripe) await syncCatalogToStripe({ stripe, orm });
    } finally {
      await orm.close();
    }
    await waitFor('Keycloak', () => fetch(`${keycloakUrl}/realms/master`).then((r) => r.ok), 240_000);
    const realm = await provisionRealm(
      keycloakUrl,
      keycloakAdmin,
      {
        engine: engineSecret,
        gateway: keptSecret(dir, 'keycloak-gateway-secret', () => randomBytes(24).toString('hex')),
        people: keptSecret(dir, 'keycloak-people-secret', () => randomBytes(24).toString('hex')),
        harness: keptSecret(dir, 'keycloak-harness-secret', () => randomBytes(24).toString('hex')),
      },
      balancer,
    );
    log('keycloak: realm ready');
    Object.assign(engine, {
      STRIPE_API_BASE: stripeUrl,
      STRIPE_WEBHOOK_SECRET: webhookSecret,
      BYOK_ENCRYPTION_KEY: keptSecret(dir, 'byok-key', () => randomBytes(32).toString('base64')),
      WORKFLOW_BUNDLE_PATH: opts.workflowBundle ?? (await bundleOnce(dir)),
      ...opts.engineEnv,
    });

    if (opts.usageRollup) {
      const connection = await Connection.connect(temporalConnection);
      try {
        await ensureUsageRollup(
          new Client({ connection, namespace: NAMESPACE }),
          TASK_QUEUE,
          opts.usageRollup,
        );
      } finally {
        await connection.close();
      }
    }
    const apis = [
      ['api-1', ports.api1, ports.apiMetrics1],
      ['api-2', ports.api2, ports.apiMetrics2],
    ] as const;
    // The intake's lanes and the APIs' connections, likewise for a benchmark to try
    // (`STRIPE_EVENT_FORWARD_LANES=8 API_DATABASE_POOL_MAX=10`, the defaults before 32 and 48).
    const lanes = process.env.STRIPE_EVENT_FORWARD_LANES;
    const pool = process.env.API_DATABASE_POOL_MAX;
    if (lanes || pool)
      log(`APIs forward Stripe events in ${lanes ?? 'the default'} lanes, ${pool ?? 'default'} connections`);
    for (const [name, port, metrics] of apis)
      supervise(name, ...engineOf(service(name)), {
        ...(lanes ? { STRIPE_EVENT_FORWARD_LANES: lanes } : {}),
        ...(pool ? { DATABASE_POOL_MAX: pool } : {}),
        ...engine,
        PORT: String(port),
        METRICS_PORT: String(metrics),
        TRUST_PROXY: '1',
      });
    supervise('api-access', ...engineOf(service('api-access')), {
      ...engine,
      API_SERVES: 'access',
      PORT: String(ports.apiAccess),
      METRICS_PORT: String(ports.apiAccessMetrics),
      TRUST_PROXY: '1',
    });
    const workers = [
      ['worker-1', ports.workerMetrics1],
      ['worker-2', ports.workerMetrics2],
    ] as const;
    // The worker's Temporal tuning, for a benchmark to try settings (`WORKER_MAX_CACHED_WORKFLOWS=6000 npm
    // run bench:scale`): the one engine configuration taken from the caller's environment, as compose
    // takes it from the operator's .env; engineEnv still has the last word.
    const tuning = workerTuning(process.env);
    if (Object.keys(tuning).length) log(`workers tuned: ${JSON.stringify(tuning)}`);
    for (const [name, metrics] of workers)
      supervise(name, ...engineOf(service(name)), {
        ...tuning,
        ...engine,
        WORKER_METRICS_PORT: String(metrics),
      });

    const nginxDir = join(dir, 'nginx');
    const nginxConf = writeNginxConfig(nginxDir, {
      API_1_ADDRESS: `127.0.0.1:${ports.api1}`,
      API_2_ADDRESS: `127.0.0.1:${ports.api2}`,
      API_ACCESS_ADDRESS: `127.0.0.1:${ports.apiAccess}`,
      BALANCER_LISTEN: `127.0.0.1:${ports.balancer}`,
      PUBLIC_BASE_URL: balancer,
    });
    supervise('balancer', nginx, ['-p', nginxDir, '-c', nginxConf], base);

    const apiUrls = apis.map(([, port]) => `http://127.0.0.1:${port}`);
    const accessLane = `http://127.0.0.1:${ports.apiAccess}`;
    for (const url of [...apiUrls, accessLane, balancer])
      await waitFor(`${url}/readyz`, () => fetch(`${url}/readyz`).then((r) => r.ok), 180_000);
    log(`cluster ready: ${balancer}`);
    return {
      urls: {
        api: balancer,
        apis: apiUrls,
        accessLane,
        temporal: temporalAddress,
        temporalHttp: `127.0.0.1:${ports.temporalHttp}`,
        temporalInternal: [ports.temporalHistory, ports.temporalMatching].map((port) => `127.0.0.1:${port}`),
        temporalUi: `http://127.0.0.1:${ports.ui}`,
        stripe: stripeUrl,
        databaseUrl,
        postgres: pg.url,
        keycloak: keycloakUrl,
        apiMetrics: apis.map(([, , port]) => `http://127.0.0.1:${port}/metrics`),
        accessLaneMetrics: `http://127.0.0.1:${ports.apiAccessMetrics}/metrics`,
        workerMetrics: workers.map(([, port]) => `http://127.0.0.1:${port}/metrics`),
        temporalMetrics: `http://127.0.0.1:${ports.temporalMetrics}/metrics`,
      },
      namespace: NAMESPACE,
      taskQueue: TASK_QUEUE,
      varDir,
      temporalConnection,
      webhookSecret,
      metricsToken: engine.METRICS_TOKEN!,
      engineEnv: { ...engine },
      keycloakAdmin,
      token: (user) => realm.token(user),
      person: (user) => realm.person(user),
      keycloakAttributes: (email) => realm.attributesOf(email),
      process: processOf,
      kill(name, signal = 'SIGKILL') {
        const pid = processOf(name).pid;
        if (pid === undefined) throw new Error(`${name} is not running`);
        process.kill(pid, signal);
        return pid;
      },
      restartPostgres(o) {
        pg!.restart(o);
      },
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}

/** The workflows bundled once for both workers: each would otherwise bundle at every (re)start. */
async function bundleOnce(dir: string): Promise<string> {
  const path = join(dir, 'workflows.js');
  const code = await bundleWorkflows();
  writeFileSync(path, code);
  return path;
}

async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs = 90_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check().catch(() => false)) return;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`${what} was not ready within ${timeoutMs / 1000} s`);
}

export { TOPOLOGY };
