/**
 * The production topology, described once: `npm run cluster` starts it on one machine, and
 * docker-compose.yml describes the same services with the same commands and configuration names (a test
 * compares them). Commands are as the images run them, from the repository's root (the engine's image) or
 * from a copy of ops/temporal (the Temporal image, ops/temporal/Dockerfile); the cluster runs the engine's
 * TypeScript directly where the image runs its compiled `dist/`.
 */

import { WORKER_TUNING_NAMES } from '../../worker/tuning';

export type Image = 'postgres' | 'temporal' | 'engine' | 'nginx' | 'keycloak';

export interface ServiceSpec {
  name: string;
  /** One line for the cluster's listing. */
  role: string;
  image: Image;
  /** The program and its arguments; absent for images run as they come (PostgreSQL, nginx). */
  command?: string[];
  /** A one-shot step: it runs to completion before what depends on it starts. */
  job?: boolean;
  /** Configuration names the service is given (values differ: compose's secrets, the cluster's ports). */
  env: string[];
  dependsOn: string[];
}

const TEMPORAL_DB = ['TEMPORAL_DB_HOST', 'TEMPORAL_DB_PORT', 'TEMPORAL_DB_USER', 'TEMPORAL_DB_PASSWORD'];

/** What a client of Temporal's frontend is given for its mTLS: the CA and name to check, its certificate. */
const TEMPORAL_CLIENT_TLS = [
  'TEMPORAL_TLS_SERVER_CA_CERT_PATH',
  'TEMPORAL_TLS_SERVER_NAME',
  'TEMPORAL_TLS_CLIENT_CERT_PATH',
  'TEMPORAL_TLS_CLIENT_KEY_PATH',
];

/** What every engine process is given; the API adds what only it reads. */
export const ENGINE_ENV = [
  'NODE_ENV',
  'DATABASE_URL',
  'TEMPORAL_ADDRESS',
  ...TEMPORAL_CLIENT_TLS,
  'TEMPORAL_NAMESPACE',
  'TEMPORAL_TASK_QUEUE',
  'STRIPE_WEBHOOK_SECRET',
  'PUBLIC_BASE_URL',
  'BYOK_ENCRYPTION_KEY',
  'OIDC_ISSUER',
  'OIDC_AUDIENCE',
  'KEYCLOAK_URL',
  'KEYCLOAK_REALM',
  'KEYCLOAK_CLIENT_ID',
  'KEYCLOAK_CLIENT_SECRET',
];
const API_ENV = [...ENGINE_ENV, 'PORT', 'METRICS_PORT', 'TRUST_PROXY'];
/** The access lane is an API told to serve only the gateway's checks. */
const ACCESS_LANE_ENV = [...API_ENV, 'API_SERVES'];
/**
 * What a worker reads beside the engine's settings: its tuning (WORKER_MAX_CACHED_WORKFLOWS…) and its
 * workflows' stack-trace depth. Compose sets them from the operator's .env, the cluster from the
 * environment it is started in; unset, their defaults.
 */
export const WORKER_SETTINGS = [...WORKER_TUNING_NAMES, 'WORKER_WORKFLOW_STACK_FRAMES'] as const;
/**
 * The settings a deployment of two or more workers gives them where the engine leaves the SDK's default,
 * compose (its `${NAME:-default}`) and the cluster alike. A workflow task waits 300 s, not the SDK's 10 s,
 * for the worker holding its run: on a billing day the workers' backlog outlasts 10 s, and each task then
 * moved to the shared queue was replayed by the other worker, which made the next tasks wait longer still
 * (10,000 renewals due at once: 72 against 48 ms of the cluster's time a renewal, docs/operations.md).
 */
export const WORKER_DEPLOYMENT_DEFAULTS: Partial<Record<(typeof WORKER_SETTINGS)[number], string>> = {
  WORKER_STICKY_QUEUE_TIMEOUT_SECONDS: '300',
  // A thousand runs cached a worker, not the SDK's 2,310 (from a 4 GiB heap): the SDK core walks the whole
  // cache on each workflow task, so past a few thousand live subscriptions every sign-up and renewal paid
  // for the runs cached beside it. At 10,000 live, 1,000 against 2,310 cost the workers 78 against 90 ms
  // of CPU a sign-up and 574 against 789 MB of RSS each, and a renewal of all 10,000 due at once 37
  // against 39 ms of the cluster's time, the replays of evicted runs included (docs/operations.md).
  WORKER_MAX_CACHED_WORKFLOWS: '1000',
};
/**
 * The Go garbage collector's target for the Temporal server, compose and the cluster alike: the heap may
 * grow to five times what is live (GOGC=400, against Go's 100) before a collection. The server allocates
 * on every request, so collections were a tenth of its CPU; at 400 a sign-up cost the server 38–39 against
 * 43–45 ms of CPU, for about twice the memory (docs/operations.md). `TEMPORAL_GOGC` overrides it, and
 * `TEMPORAL_GOMEMLIMIT` caps the heap where memory is tight.
 */
export const TEMPORAL_GOGC_DEFAULT = '400';

/**
 * What the cluster's workers are started with: the deployment's defaults, then whichever worker settings
 * `env` sets, as compose takes them from the operator's .env.
 */
export function workerTuning(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const tuning: NodeJS.ProcessEnv = { ...WORKER_DEPLOYMENT_DEFAULTS };
  for (const key of WORKER_SETTINGS) if (env[key]) tuning[key] = env[key];
  return tuning;
}
const WORKER_ENV = [...ENGINE_ENV, 'WORKER_METRICS_PORT', ...WORKER_SETTINGS];

export const TOPOLOGY: readonly ServiceSpec[] = [
  {
    name: 'postgresql',
    role: 'PostgreSQL: the engine, Temporal, its visibility and Keycloak, each in its own database',
    image: 'postgres',
    env: [],
    dependsOn: [],
  },
  {
    name: 'temporal-schema',
    role: "creates and upgrades Temporal's schemas (temporal-sql-tool)",
    image: 'temporal',
    command: ['sh', 'ops/temporal/setup-schema.sh'],
    job: true,
    env: TEMPORAL_DB,
    dependsOn: ['postgresql'],
  },
  {
    name: 'temporal',
    role: 'Temporal server: frontend, history, matching and worker services',
    image: 'temporal',
    command: [
      'temporal-server',
      '--root',
      'ops/temporal',
      '--config',
      'config',
      '--env',
      'production',
      '--allow-no-auth',
      'start',
    ],
    // Its frontend's certificate, the CA of its clients', and its system worker's own as a client. (The
    // cluster adds TEMPORAL_TLS_INTERNODE_*: there its services share the host's loopback.)
    env: [
      ...TEMPORAL_DB,
      'TEMPORAL_FRONTEND_PORT',
      'TEMPORAL_FRONTEND_BIND_IP',
      'TEMPORAL_METRICS_ADDRESS',
      'GOGC',
      'GOMEMLIMIT',
      'TEMPORAL_TLS_FRONTEND_CERT_PATH',
      'TEMPORAL_TLS_FRONTEND_KEY_PATH',
      'TEMPORAL_TLS_CLIENT_CA_CERT_PATH',
      ...TEMPORAL_CLIENT_TLS,
    ],
    dependsOn: ['temporal-schema'],
  },
  {
    name: 'temporal-namespace',
    role: 'registers the namespace and the search attributes',
    image: 'engine',
    command: ['node', 'dist/tools/temporal-namespace.js'],
    job: true,
    env: ['TEMPORAL_ADDRESS', ...TEMPORAL_CLIENT_TLS, 'TEMPORAL_NAMESPACE', 'TEMPORAL_RETENTION_DAYS'],
    dependsOn: ['temporal'],
  },
  {
    name: 'temporal-ui',
    role: 'Temporal UI for operators',
    image: 'temporal',
    command: [
      'temporal-ui-server',
      '--root',
      'ops/temporal',
      '--config',
      'ui',
      '--env',
      'production',
      'start',
    ],
    env: [
      'TEMPORAL_ADDRESS',
      ...TEMPORAL_CLIENT_TLS,
      'TEMPORAL_NAMESPACE',
      'TEMPORAL_UI_HOST',
      'TEMPORAL_UI_PORT',
      'TEMPORAL_UI_PUBLIC_URL',
    ],
    dependsOn: ['temporal'],
  },
  {
    name: 'keycloak',
    role: 'Keycloak: sign-in, roles, the attributes the engine syncs',
    image: 'keycloak',
    env: ['KC_DB', 'KC_DB_URL', 'KC_DB_USERNAME', 'KC_DB_PASSWORD'],
    dependsOn: ['postgresql'],
  },
  {
    name: 'migrate',
    role: "applies the engine's migrations, once, before any API starts",
    image: 'engine',
    command: ['node', 'dist/db/migrate.js'],
    job: true,
    env: ['DATABASE_URL'],
    dependsOn: ['postgresql'],
  },
  ...(['api-1', 'api-2'] as const).map((name): ServiceSpec => ({
    name,
    role: "the engine's API",
    image: 'engine',
    command: ['node', 'dist/api/main.js'],
    env: API_ENV,
    dependsOn: ['migrate', 'temporal-namespace'],
  })),
  {
    name: 'api-access',
    role: "the engine's access lane: the gateway's checks, apart from the reports (API_SERVES=access)",
    image: 'engine',
    command: ['node', 'dist/api/main.js'],
    env: ACCESS_LANE_ENV,
    // It reads the database alone: it starts, and answers, while Temporal is away.
    dependsOn: ['migrate'],
  },
  ...(['worker-1', 'worker-2'] as const).map((name): ServiceSpec => ({
    name,
    role: "the engine's worker",
    image: 'engine',
    command: ['node', 'dist/worker/main.js'],
    env: WORKER_ENV,
    dependsOn: ['migrate', 'temporal-namespace'],
  })),
  {
    name: 'balancer',
    role: 'nginx: one address for both APIs and the access lane, passing a request a dead one could not take to another',
    image: 'nginx',
    // PUBLIC_BASE_URL: the host nginx sends the APIs, whatever Host the client sent.
    env: ['API_1_ADDRESS', 'API_2_ADDRESS', 'API_ACCESS_ADDRESS', 'BALANCER_LISTEN', 'PUBLIC_BASE_URL'],
    dependsOn: ['api-1', 'api-2', 'api-access'],
  },
];

export function service(name: string): ServiceSpec {
  const found = TOPOLOGY.find((s) => s.name === name);
  if (!found) throw new Error(`no service ${name} in the topology`);
  return found;
}
