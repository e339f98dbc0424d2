import { z } from 'zod';
import { temporalTlsIssues } from './temporal-tls';
import { DEFAULT_RETENTION_DAYS } from '../domain/retention';

/** Raised when the environment cannot start the engine; the message names the variable at fault. */
export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

const optionalUrl = z.url().optional();

/**
 * A Temporal worker setting: a whole number in [min, max], optional. The least is the SDK's own (it turns a
 * cache of 1 into 2, and two workflow-task slots and polls are the fewest it runs); the most is far above
 * what one worker process can use, so a typo of an extra digit or two is caught.
 */
const workerTuning = (min: number, max: number) =>
  z.coerce
    .number({ error: 'must be a whole number' })
    .int('must be a whole number')
    .min(min, `must be at least ${min}`)
    .max(max, `must be at most ${max}`)
    .optional();

/** What the Temporal SDK (1.24) uses where a WORKER_MAX_CONCURRENT_* variable is unset. */
export const SDK_DEFAULT_SLOTS = { workflowTasks: 40, activities: 100, localActivities: 100 } as const;

const databaseUrl = z.string().refine((v) => /^sqlite:.+/.test(v) || /^postgres(ql)?:\/\/.+/.test(v), {
  message: 'must be sqlite:<path> or postgres://user:pass@host:port/db',
});

/** `https://a.example.com,http://localhost:5173`: each an http(s) origin exactly (no path, no userinfo). */
function returnUrlOrigins(value: string, ctx: z.RefinementCtx): string[] {
  const origins: string[] = [];
  for (const item of value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)) {
    let origin: string | null = null;
    try {
      const url = new URL(item);
      if (
        (url.protocol === 'https:' || url.protocol === 'http:') &&
        item.replace(/\/$/, '').toLowerCase() === url.origin
      )
        origin = url.origin;
    } catch {
      origin = null;
    }
    if (origin) origins.push(origin);
    else
      ctx.addIssue({
        code: 'custom',
        message: `${JSON.stringify(item)} is not an http(s) origin such as https://app.example.com`,
      });
  }
  return origins;
}

const fields = z
  .object({
    /** Unset means production: development behaviour (local signing key, open /metrics…) must be asked for. */
    NODE_ENV: z.enum(['development', 'test', 'production']).default('production'),
    PORT: z.coerce.number().int().min(0).max(65535).default(8080),
    DATABASE_URL: databaseUrl.default('sqlite:var/billing.sqlite'),
    TEMPORAL_ADDRESS: z.string().min(1).default('127.0.0.1:7233'),
    TEMPORAL_NAMESPACE: z.string().min(1).default('billing'),
    TEMPORAL_TASK_QUEUE: z.string().min(1).default('billing'),
    /**
     * TLS to Temporal (Temporal's own variable names). Unset, TLS is on when any TEMPORAL_TLS_* file, the
     * server name or TEMPORAL_API_KEY is set, off otherwise.
     */
    TEMPORAL_TLS: z
      .enum(['true', 'false'])
      .transform((v) => v === 'true')
      .optional(),
    /** PEM of the CA that signed Temporal's server certificate; unset, the system's roots. */
    TEMPORAL_TLS_SERVER_CA_CERT_PATH: z.string().optional(),
    /** The name the server certificate is checked against (and sent as SNI) instead of the address's host. */
    TEMPORAL_TLS_SERVER_NAME: z.string().optional(),
    /** mTLS: this engine's client certificate and its key (PEM, unencrypted), both or neither. */
    TEMPORAL_TLS_CLIENT_CERT_PATH: z.string().optional(),
    TEMPORAL_TLS_CLIENT_KEY_PATH: z.string().optional(),
    /** A Temporal Cloud API key, sent as a bearer token on every call; only ever over TLS. */
    TEMPORAL_API_KEY: z.string().optional(),
    STRIPE_SECRET_KEY: z.string().startsWith('sk_').optional(),
    STRIPE_WEBHOOK_SECRET: z.string().startsWith('whsec_').optional(),
    /**
     * How many Stripe events one API process hands over at once (events of one object always share a lane,
     * in order). A lane's time is mostly waiting on a busy machine, so more lanes drain a billing day's
     * backlog sooner: 32 met the forward lag's goal at 10,000 renewals due at once where 8 did not.
     */
    STRIPE_EVENT_FORWARD_LANES: z.coerce.number().int().min(1).max(256).default(32),
    /**
     * PostgreSQL connections one process keeps at most (SQLite has one). Unset: 10 for a worker, and for an
     * API its lanes and 16 more, as each lane holds one while it writes a payload beside the webhooks'
     * inserts and the requests (`apiPoolMax`).
     */
    DATABASE_POOL_MAX: z.coerce.number().int().min(1).max(500).optional(),
    STRIPE_API_BASE: optionalUrl,
    /**
     * Stripe Tax on checkouts: Checkout collects the billing address and tax ids and Stripe adds tax to the
     * subscription's invoices and to credit packs. Needs Stripe Tax set up on the account (origin, registrations).
     */
    STRIPE_TAX: z
      .enum(['true', 'false'])
      .default('false')
      .transform((v) => v === 'true'),
    OIDC_ISSUER: optionalUrl,
    OIDC_JWKS_URL: optionalUrl,
    OIDC_AUDIENCE: z.string().optional(),
    /**
     * Where customers reach the engine (Checkout's default return pages); in development, the address the
     * API was called on. Required in production.
     */
    PUBLIC_BASE_URL: z.url({ protocol: /^https?$/ }).optional(),
    /** The Temporal Web UI operators open, for the console's links to a subscription's workflow. */
    TEMPORAL_UI_URL: z.url({ protocol: /^https?$/ }).optional(),
    /** The Keycloak client whose client roles (resource_access.<id>.roles) the engine reads. */
    OIDC_CLIENT_ID: z.string().min(1).default('billing-engine'),
    /** The public OIDC client (authorization code with PKCE) the web app signs people in with. */
    OIDC_WEB_CLIENT_ID: z.string().min(1).max(200).optional(),
    /**
     * The client the AI gateway takes its client-credentials tokens with (their `azp`); accepted beside
     * OIDC_CLIENT_ID and OIDC_WEB_CLIENT_ID unless OIDC_ALLOWED_CLIENTS says otherwise.
     */
    OIDC_GATEWAY_CLIENT_ID: z.string().min(1).max(200).default('ai-gateway'),
    /**
     * The clients (comma-separated) a token may have been issued to (its `azp`); a token minted for any
     * other client of the realm is refused even when it names our audience. Unset: OIDC_CLIENT_ID,
     * OIDC_WEB_CLIENT_ID and OIDC_GATEWAY_CLIENT_ID.
     */
    OIDC_ALLOWED_CLIENTS: z
      .string()
      .max(2000)
      .refine((v) => v.split(',').every((c) => c.trim().length > 0), 'must be client ids separated by commas')
      .optional(),
    /**
     * Realm roles count only under this prefix (`billing-` makes the realm role `billing-admin` count as
     * `admin`); unset, only the roles of OIDC_CLIENT_ID count, never a realm role.
     */
    OIDC_REALM_ROLE_PREFIX: z.string().min(1).max(100).optional(),
    KEYCLOAK_URL: optionalUrl,
    KEYCLOAK_REALM: z.string().optional(),
    KEYCLOAK_CLIENT_ID: z.string().optional(),
    KEYCLOAK_CLIENT_SECRET: z.string().optional(),
    LAGO_API_URL: optionalUrl,
    LAGO_API_KEY: z.string().optional(),
    SMTP_URL: z
      .string()
      .regex(/^smtps?:\/\/.+/, 'must be smtp://… or smtps://…')
      .optional(),
    SMTP_FROM: z.string().default('billing@localhost'),
    BYOK_ENCRYPTION_KEY: z.string().optional(),
    /** Set only while `npm run byok:rotate` moves stored keys from this key to BYOK_ENCRYPTION_KEY. */
    BYOK_ENCRYPTION_KEY_PREVIOUS: z.string().optional(),
    /**
     * `all`, or `access`: only the gateway's questions before a model call (check-access, the entitlements
     * check and snapshot), so a process of their own answers them while reports flood the others.
     */
    API_SERVES: z.enum(['all', 'access']).default('all'),
    /**
     * Usage reports one API process takes at once; past it, report_usage answers 503 overloaded with
     * Retry-After (reports are idempotent by event id, so the gateway sends it again). Kept under the
     * process's database pool (DATABASE_POOL_MAX), so check-access still finds a connection during a flood.
     */
    USAGE_REPORTS_IN_FLIGHT_MAX: z.coerce.number().int().min(1).max(100_000).default(32),
    /** Per caller (token subject) a minute: requests that call Stripe or start or signal a workflow. */
    RATE_LIMIT_STRIPE_PER_MINUTE: z.coerce.number().int().min(1).max(1_000_000).default(20),
    /** Per caller a minute: tests of a stored provider key against its provider. */
    RATE_LIMIT_KEY_TESTS_PER_MINUTE: z.coerce.number().int().min(1).max(1_000_000).default(5),
    /** Per caller a minute: invoice PDFs fetched from Stripe. */
    RATE_LIMIT_PDF_PER_MINUTE: z.coerce.number().int().min(1).max(1_000_000).default(30),
    /** How long an automatic top-up waits after a declined card before its one retry. */
    CREDIT_TOP_UP_RETRY_SECONDS: z.coerce.number().int().min(1).max(604_800).default(3600),
    /**
     * Days the finished records that only explain the past are kept (outgoing webhook deliveries and
     * attempts, published billing events, customer mails, top-up tries); money records are never pruned.
     */
    RETENTION_DAYS: z.coerce.number().int().min(1).max(36_500).default(DEFAULT_RETENTION_DAYS),
    /**
     * Outgoing webhooks may go to loopback, private and link-local addresses (a test, or receivers on the
     * engine's own network); unset, such an endpoint is refused when saved and when sent to.
     */
    WEBHOOK_ALLOW_PRIVATE_URLS: z
      .enum(['true', 'false'])
      .default('false')
      .transform((v) => v === 'true'),
    /** How long one webhook attempt may take, connection to answer. */
    WEBHOOK_TIMEOUT_MS: z.coerce.number().int().min(100).max(60_000).default(10_000),
    /** The pause after a webhook's first failed attempt; each later one doubles, up to WEBHOOK_MAX_RETRY_DELAY_MS. */
    WEBHOOK_FIRST_RETRY_MS: z.coerce.number().int().min(10).max(3_600_000).default(5_000),
    WEBHOOK_MAX_RETRY_DELAY_MS: z.coerce.number().int().min(10).max(86_400_000).default(3_600_000),
    /** How long after its first attempt a webhook delivery is retried before it is given up. */
    WEBHOOK_RETRY_HOURS: z.coerce.number().positive().max(720).default(72),
    /** An endpoint that has failed every attempt for this long is turned off and the operators are told. */
    WEBHOOK_DISABLE_AFTER_DAYS: z.coerce.number().positive().max(365).default(5),
    /** Where mail for the operators goes (comma-separated): an endpoint turned off for failing. */
    OPERATOR_EMAILS: z
      .string()
      .default('')
      .transform((v) =>
        v
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean),
      )
      .pipe(z.array(z.email())),
    /**
     * How long an entitlement snapshot the gateway caches stays valid: the longest it may act on access
     * that has since changed, when it misses the `access.changed` webhook.
     */
    ENTITLEMENT_SNAPSHOT_TTL_SECONDS: z.coerce.number().int().min(5).max(3600).default(60),
    /** Scrapers must send `Authorization: Bearer <token>` to /metrics. */
    METRICS_TOKEN: z.string().min(16).optional(),
    /** Serve the API's /metrics on this port alone (not on PORT). */
    METRICS_PORT: z.coerce.number().int().min(0).max(65535).optional(),
    /** The worker's /metrics (the Temporal SDK's and the engine's own); unset, the worker serves none. */
    WORKER_METRICS_PORT: z.coerce.number().int().min(0).max(65535).optional(),
    /**
     * The worker's share of Temporal's work (docs/operations.md, "Tuning Temporal for the billing day").
     * Each unset is the Temporal SDK's default, which is what the worker ran with before these existed:
     * 40 workflow tasks, 100 activities and 100 local activities at once; a sticky cache sized from the
     * heap limit (2,310 runs for a 4 GiB one); at most min(10, slots) polls of each kind.
     */
    WORKER_MAX_CONCURRENT_WORKFLOW_TASKS: workerTuning(2, 1000),
    WORKER_MAX_CONCURRENT_ACTIVITIES: workerTuning(1, 5000),
    WORKER_MAX_CONCURRENT_LOCAL_ACTIVITIES: workerTuning(1, 5000),
    /** Runs kept in memory between tasks (a miss replays the whole history); about 0.33 MB each measured. */
    WORKER_MAX_CACHED_WORKFLOWS: workerTuning(2, 100_000),
    /** Sticky and normal workflow-task polls together (the SDK keeps one of every five for the normal queue). */
    WORKER_WORKFLOW_POLLERS: workerTuning(2, 200),
    WORKER_ACTIVITY_POLLERS: workerTuning(1, 200),
    /**
     * How long a workflow task waits on its worker's sticky queue (the worker holding the run in memory)
     * before the server hands it to the shared queue, where a worker without the run replays its history.
     * The SDK's default is 10 s.
     */
    WORKER_STICKY_QUEUE_TIMEOUT_SECONDS: workerTuning(1, 3600),
    /**
     * Frames each stack trace of a workflow's promises shows (worker/stack-frames.ts): the SDK records one
     * for every promise a workflow makes, for its stack-trace query, and at Node's default depth that was
     * the largest part of a workflow task's own CPU. 0 records none.
     */
    WORKER_WORKFLOW_STACK_FRAMES: z.coerce
      .number({ error: 'must be a whole number' })
      .int('must be a whole number')
      .min(0, 'must be at least 0')
      .max(100, 'must be at most 100')
      .default(2),
    /**
     * The interface METRICS_PORT and WORKER_METRICS_PORT listen on: loopback unless a scraper elsewhere
     * must reach them (0.0.0.0 in docker-compose.yml, where Prometheus scrapes over the compose network).
     */
    METRICS_HOST: z
      .string()
      .regex(/^[A-Za-z0-9.:-]+$/, 'must be an address to listen on (127.0.0.1, 0.0.0.0, ::)')
      .default('127.0.0.1'),
    /** OTLP/HTTP collector for traces (e.g. http://collector:4318); unset, tracing is off. */
    OTEL_EXPORTER_OTLP_ENDPOINT: z.url({ protocol: /^https?$/ }).optional(),
    /** A prebuilt workflow bundle (a file Temporal's bundleWorkflowCode wrote): the worker starts without bundling. */
    WORKFLOW_BUNDLE_PATH: z.string().min(1).optional(),
    LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    /** Where local state lives (SQLite files, the dev signing key). */
    VAR_DIR: z.string().default('var'),
    /** `POST /auth/dev-token` mints tokens of the local key, for loopback callers only; never in production. */
    DEV_SIGN_IN: z
      .enum(['true', 'false'])
      .default('false')
      .transform((v) => v === 'true'),
    /** Origins besides PUBLIC_BASE_URL's that Checkout and the portal may send customers back to. */
    RETURN_URL_ORIGINS: z
      .string()
      .default('')
      .transform((v, ctx) => returnUrlOrigins(v, ctx)),
    /**
     * Whether X-Forwarded-For/-Proto/-Host are believed: unset, never (the client is the socket's peer);
     * `true` for any number of proxies, or the number of proxies in front of the engine.
     */
    TRUST_PROXY: z
      .string()
      .regex(/^(true|false|[1-9][0-9]?)$/, 'must be true, false or the number of proxies (1-99)')
      .default('false')
      .transform((v) => (v === 'true' ? true : v === 'false' ? false : Number(v))),
  })
  .describe("The engine's configuration, one variable a field");

type Fields = z.infer<typeof fields>;

/** The name of a configuration variable the engine reads. */
export type ConfigName = keyof Fields;

interface Issue {
  path: [ConfigName];
  message: string;
}

/**
 * A check across variables. `reads` names what it looks at besides NODE_ENV: a command checked for some
 * variables only (loadConfigFor) gets the rules whose variables it reads, all of them. A `serving` rule is
 * what the API and worker need to be safe in production (who may call, where customers go back, who may
 * scrape): commands serve nothing, so they never get one.
 */
interface Rule {
  reads: readonly ConfigName[];
  serving?: true;
  issues(env: Fields): Issue[];
}

const KEYCLOAK = ['KEYCLOAK_URL', 'KEYCLOAK_REALM', 'KEYCLOAK_CLIENT_ID', 'KEYCLOAK_CLIENT_SECRET'] as const;
/** How the engine reaches Temporal beside its address: TLS, mutual TLS, or an API key. */
export const TEMPORAL_TLS_NAMES = [
  'TEMPORAL_TLS',
  'TEMPORAL_TLS_SERVER_CA_CERT_PATH',
  'TEMPORAL_TLS_SERVER_NAME',
  'TEMPORAL_TLS_CLIENT_CERT_PATH',
  'TEMPORAL_TLS_CLIENT_KEY_PATH',
  'TEMPORAL_API_KEY',
] as const;

const inProduction = (env: Fields) => env.NODE_ENV === 'production';
const issue = (name: ConfigName, message: string): Issue => ({ path: [name], message });

const RULES: readonly Rule[] = [
  {
    reads: KEYCLOAK,
    issues: (env) =>
      KEYCLOAK.some((k) => env[k]) && !KEYCLOAK.every((k) => env[k])
        ? KEYCLOAK.filter((k) => !env[k]).map((k) =>
            issue(k, 'is required when any KEYCLOAK_* variable is set'),
          )
        : [],
  },
  {
    // Half a Lago configuration would silently turn usage billing off.
    reads: ['LAGO_API_URL', 'LAGO_API_KEY'],
    issues: (env) =>
      Boolean(env.LAGO_API_URL) !== Boolean(env.LAGO_API_KEY)
        ? [
            issue(
              env.LAGO_API_URL ? 'LAGO_API_KEY' : 'LAGO_API_URL',
              'is required when the other LAGO_ variable is set',
            ),
          ]
        : [],
  },
  {
    // Without an audience, a token the realm issued for any other client would be accepted here.
    reads: ['OIDC_AUDIENCE'],
    serving: true,
    issues: (env) =>
      inProduction(env) && !env.OIDC_AUDIENCE
        ? [
            issue(
              'OIDC_AUDIENCE',
              'is required when NODE_ENV=production (tokens must be issued for this engine)',
            ),
          ]
        : [],
  },
  {
    // Behind a proxy the Host a request carries is the proxy's, or whatever the caller chose: Stripe
    // would send customers back to an address they cannot reach.
    reads: ['PUBLIC_BASE_URL'],
    serving: true,
    issues: (env) =>
      inProduction(env) && !env.PUBLIC_BASE_URL
        ? [
            issue(
              'PUBLIC_BASE_URL',
              'is required when NODE_ENV=production (where Checkout sends customers back)',
            ),
          ]
        : [],
  },
  {
    // Workflow spans need the tracing interceptors inside the bundle, which a prebuilt one lacks.
    reads: ['OTEL_EXPORTER_OTLP_ENDPOINT', 'WORKFLOW_BUNDLE_PATH'],
    issues: (env) =>
      env.OTEL_EXPORTER_OTLP_ENDPOINT && env.WORKFLOW_BUNDLE_PATH
        ? [
            issue(
              'WORKFLOW_BUNDLE_PATH',
              'cannot be used with OTEL_EXPORTER_OTLP_ENDPOINT (the worker bundles the tracing interceptors in)',
            ),
          ]
        : [],
  },
  {
    // Metrics name routes, plans and volumes: not for the open internet.
    reads: ['METRICS_TOKEN', 'METRICS_PORT'],
    serving: true,
    issues: (env) =>
      inProduction(env) && !env.METRICS_TOKEN && env.METRICS_PORT === undefined
        ? [
            issue(
              'METRICS_TOKEN',
              'or METRICS_PORT is required when NODE_ENV=production (/metrics is not public)',
            ),
          ]
        : [],
  },
  {
    reads: ['OIDC_ISSUER'],
    serving: true,
    issues: (env) =>
      inProduction(env) && !env.OIDC_ISSUER
        ? [
            issue(
              'OIDC_ISSUER',
              'is required when NODE_ENV=production (the local dev signing key is never used in production)',
            ),
          ]
        : [],
  },
  {
    reads: ['DEV_SIGN_IN'],
    serving: true,
    issues: (env) =>
      inProduction(env) && env.DEV_SIGN_IN
        ? [
            issue(
              'DEV_SIGN_IN',
              'cannot be true when NODE_ENV=production (anyone could mint themselves a token)',
            ),
          ]
        : [],
  },
  { reads: TEMPORAL_TLS_NAMES, issues: (env) => temporalTlsIssues(env) },
  {
    // A workflow task runs on its workflow's cached run, and a poll waits for a free slot: the SDK's
    // documentation allows neither more tasks than the cache holds nor more polls than slots.
    reads: [
      'WORKER_MAX_CONCURRENT_WORKFLOW_TASKS',
      'WORKER_MAX_CACHED_WORKFLOWS',
      'WORKER_WORKFLOW_POLLERS',
      'WORKER_MAX_CONCURRENT_ACTIVITIES',
      'WORKER_ACTIVITY_POLLERS',
    ],
    issues: (env) => {
      const out: Issue[] = [];
      const workflowTasks = env.WORKER_MAX_CONCURRENT_WORKFLOW_TASKS;
      const cached = env.WORKER_MAX_CACHED_WORKFLOWS;
      if (workflowTasks !== undefined && cached !== undefined && workflowTasks > cached)
        out.push(
          issue(
            'WORKER_MAX_CONCURRENT_WORKFLOW_TASKS',
            `cannot exceed WORKER_MAX_CACHED_WORKFLOWS (${cached}): a workflow task runs with its workflow cached`,
          ),
        );
      const workflowSlots = workflowTasks ?? SDK_DEFAULT_SLOTS.workflowTasks;
      if (env.WORKER_WORKFLOW_POLLERS !== undefined && env.WORKER_WORKFLOW_POLLERS > workflowSlots)
        out.push(
          issue(
            'WORKER_WORKFLOW_POLLERS',
            `cannot exceed the workflow tasks run at once (${workflowSlots}, WORKER_MAX_CONCURRENT_WORKFLOW_TASKS)`,
          ),
        );
      const activitySlots = env.WORKER_MAX_CONCURRENT_ACTIVITIES ?? SDK_DEFAULT_SLOTS.activities;
      if (env.WORKER_ACTIVITY_POLLERS !== undefined && env.WORKER_ACTIVITY_POLLERS > activitySlots)
        out.push(
          issue(
            'WORKER_ACTIVITY_POLLERS',
            `cannot exceed the activities run at once (${activitySlots}, WORKER_MAX_CONCURRENT_ACTIVITIES)`,
          ),
        );
      return out;
    },
  },
];

function refineWith(rules: readonly Rule[]) {
  return (env: Fields, ctx: z.RefinementCtx) => {
    for (const rule of rules) for (const i of rule.issues(env)) ctx.addIssue({ code: 'custom', ...i });
  };
}

/** The whole configuration with every rule: what the API and the worker (and `npm run dev`) start with. */
const schema = fields.superRefine(refineWith(RULES));

export type Config = z.infer<typeof schema>;

/** Empty strings mean "unset" so that `FOO= npm run dev` behaves like leaving FOO out. */
function withoutEmpty(source: NodeJS.ProcessEnv): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(source)) if (v !== undefined && v !== '') out[k] = v;
  return out;
}

/** Reads and validates the configuration; throws ConfigError naming every bad variable. */
export function loadConfig(source: NodeJS.ProcessEnv = process.env): Config {
  const parsed = schema.safeParse(withoutEmpty(source));
  if (parsed.success) return parsed.data;
  const lines = parsed.error.issues.map((i) => `  ${i.path.join('.') || '(env)'}: ${i.message}`);
  throw new ConfigError(`Invalid configuration:\n${lines.join('\n')}`);
}

/** Variables a command cannot run without: one of `anyOf` must be set (the first is the one named). */
export interface Requirement<K extends ConfigName = ConfigName> {
  anyOf: readonly [K, ...K[]];
  /** Why, or what the others are for, after the name. */
  note?: string;
}

/**
 * The configuration a command uses and nothing more: the variables it reads (and NODE_ENV), each checked
 * as loadConfig checks it, the rules across them that need none it does not read, never the API's and
 * worker's production requirements, and what the command itself requires. A command that reads a
 * variable it did not name does not compile: the answer holds only those it named.
 */
export function loadConfigFor<K extends ConfigName>(
  names: readonly K[],
  opts: { source?: NodeJS.ProcessEnv; requires?: readonly Requirement<K>[]; what?: string } = {},
): Pick<Config, K | 'NODE_ENV'> {
  const read = new Set<ConfigName>([...names, 'NODE_ENV']);
  const mask = Object.fromEntries([...read].map((n) => [n, true])) as Record<ConfigName, true>;
  const rules = RULES.filter((r) => !r.serving && r.reads.every((n) => read.has(n)));
  const narrow = fields.pick(mask).superRefine((env, ctx) => refineWith(rules)(env as Fields, ctx));
  const values = withoutEmpty(opts.source ?? process.env);
  const parsed = narrow.safeParse(values);
  const issues = parsed.success
    ? []
    : parsed.error.issues.map((i) => ({ at: i.path.join('.'), message: i.message }));
  for (const { anyOf, note } of opts.requires ?? []) {
    const [first, ...others] = anyOf;
    if (anyOf.some((n) => values[n] !== undefined) || issues.some((i) => i.at === first)) continue;
    const or = others.length ? ` (or ${others.join(' or ')})` : '';
    issues.push({ at: first, message: `is required${or}${note ? `: ${note}` : ''}` });
  }
  if (parsed.success && issues.length === 0) return parsed.data as Pick<Config, K | 'NODE_ENV'>;
  const lines = issues.map((i) => `  ${i.at || '(env)'}: ${i.message}`);
  throw new ConfigError(`Invalid configuration${opts.what ? ` for ${opts.what}` : ''}:\n${lines.join('\n')}`);
}

/** The connections an API process keeps: DATABASE_POOL_MAX, else one for each lane and 16 besides. */
export function apiPoolMax(config: Pick<Config, 'DATABASE_POOL_MAX' | 'STRIPE_EVENT_FORWARD_LANES'>): number {
  return config.DATABASE_POOL_MAX ?? config.STRIPE_EVENT_FORWARD_LANES + 16;
}
