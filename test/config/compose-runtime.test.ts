/**
 * What docker-compose.yml's services would do, run for real without Docker: PostgreSQL with the roles
 * ops/postgres/create-roles.sh makes, Temporal's schema tool and server from ops/temporal with compose's
 * environment, the certificates ops/tls/make-certs.sh makes, the engine's namespace tool and the UI's
 * server. Only what containers change is changed: the hosts and ports (loopback and free ports, not the
 * compose network) and the mounted folders (where compose mounts `./secrets/…`, the files made here).
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createServer } from 'node:net';
import { delimiter, dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { Connection } from '@temporalio/client';
import { msToTs } from '@temporalio/common/lib/time';
import { loadConfig } from '../../config/env';
import { temporalConnectionOptions, type TemporalConnectionOptions } from '../../config/temporal-connection';
import { openDatabase } from '../../db/orm';
import { ensureNamespace } from '../../tools/temporal-namespace';
import { environmentOf, hostPath, loadCompose, parseDotEnv, ROOT } from '../helpers/compose';
import { makeTestCa } from '../helpers/test-ca';

/* eslint-disable @typescript-eslint/no-require-imports */
const { freePort } = require('../../tools/free-port') as { freePort: () => Promise<number> };
const { ensurePostgres, startPostgres } = require('../../tools/postgres') as {
  ensurePostgres: () => string;
  startPostgres: (o: { dir: string; durable: boolean }) => Promise<{
    port: number;
    stop: (o?: { crash?: boolean }) => void;
    restart: () => void;
  }>;
};
const { ensureTemporalTools } = require('../../tools/temporal-server') as {
  ensureTemporalTools: (o: { log: () => void }) => { server: string; sqlTool: string; ui: string };
};
/* eslint-enable @typescript-eslint/no-require-imports */

const run = promisify(execFile);

/** A free loopback port below 32768, tried at random from 20000 up. */
async function lowFreePort(): Promise<number> {
  for (;;) {
    const port = 20_000 + Math.floor(Math.random() * 12_000);
    const free = await new Promise<boolean>((resolve) => {
      const server = createServer();
      server.once('error', () => resolve(false));
      server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
    });
    if (free) return port;
  }
}
const dotEnv = parseDotEnv(readFileSync(join(ROOT, 'ops', 'compose.env.example'), 'utf8'));
const compose = loadCompose(dotEnv);

let dir: string;
/** PostgreSQL's, apart: its server runs as the postgres user, who must reach it. */
let pgDir: string;
let pg: Awaited<ReturnType<typeof startPostgres>>;
const children: ChildProcess[] = [];

/** A service's environment with its mounted files where they are here and these replacements. */
function envOf(service: string, replace: Record<string, string> = {}): Record<string, string> {
  const env = environmentOf(compose, service);
  for (const [name, value] of Object.entries(env))
    if (value.startsWith('/run/secrets/')) env[name] = hostPath(compose, service, value, dir)!;
  return { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env, ...replace };
}

/** psql as `role` with `password` (over TCP, where the cluster asks every role but the superuser for one). */
async function psql(role: string, password: string, database: string, sql: string): Promise<string> {
  try {
    const { stdout } = await run(
      join(ensurePostgres(), 'psql'),
      ['-h', '127.0.0.1', '-p', String(pg.port), '-U', role, '-d', database, '-XAtc', sql],
      { env: { PATH: process.env.PATH ?? '', PGPASSWORD: password, PGCONNECT_TIMEOUT: '5' } },
    );
    return stdout.trim();
  } catch (err) {
    return `refused: ${(err as { stderr?: string }).stderr?.trim() ?? String(err)}`;
  }
}

function createRoles(env: Record<string, string>) {
  return run('sh', [join(ROOT, 'ops', 'postgres', 'create-roles.sh')], {
    env: { ...env, PGHOST: '127.0.0.1', PGPORT: String(pg.port) },
  });
}

/** The PostgreSQL service's environment, from the .env. */
const postgresEnv = () => envOf('postgresql');

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'compose-runtime-'));
  await run('sh', [join(ROOT, 'ops', 'tls', 'make-certs.sh'), join(dir, 'secrets')], {
    env: { PATH: process.env.PATH ?? '', KEYCLOAK_HOSTNAME: dotEnv.KEYCLOAK_HOSTNAME! },
  });
  pgDir = mkdtempSync(join(tmpdir(), 'compose-runtime-pg-'));
  pg = await startPostgres({ dir: pgDir, durable: false });
  // As the server's image sets it up with POSTGRES_PASSWORD: a password from every role over TCP (the
  // superuser keeps trust here, standing in for the image's local socket).
  writeFileSync(
    join(pgDir, 'data', 'pg_hba.conf'),
    'local all all trust\nhost all postgres 127.0.0.1/32 trust\nhost all all 127.0.0.1/32 scram-sha-256\n',
  );
  pg.restart();
  await createRoles(postgresEnv());
}, 120_000);

afterAll(async () => {
  for (const child of children) {
    if (child.exitCode !== null || child.signalCode !== null) continue;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([exited, new Promise((r) => (timer = setTimeout(r, 10_000)))]);
    clearTimeout(timer);
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
  pg?.stop({ crash: true });
  for (const d of [dir, pgDir]) if (d) rmSync(d, { recursive: true, force: true });
});

describe("ops/postgres/create-roles.sh, as compose's PostgreSQL runs it", () => {
  const roles = {
    billing: { password: dotEnv.BILLING_DB_PASSWORD!, databases: ['billing'] },
    temporal: { password: dotEnv.TEMPORAL_DB_PASSWORD!, databases: ['temporal', 'temporal_visibility'] },
    keycloak: { password: dotEnv.KEYCLOAK_DB_PASSWORD!, databases: ['keycloak'] },
  };
  const databases = Object.values(roles).flatMap((r) => r.databases);

  it('lets each role into its own databases with its own password, and into no other', async () => {
    for (const [role, { password, databases: own }] of Object.entries(roles)) {
      for (const database of databases) {
        const answer = await psql(role, password, database, 'SELECT current_user');
        if (own.includes(database))
          expect({ role, database, answer }).toEqual({ role, database, answer: role });
        else
          expect({ role, database, answer }).toEqual({
            role,
            database,
            answer: expect.stringContaining('permission denied for database'),
          });
      }
      // Another role's password, or the superuser's, does not open it.
      for (const other of [dotEnv.POSTGRES_PASSWORD!, ...Object.values(roles).map((r) => r.password)])
        if (other !== password)
          expect(await psql(role, other, own[0]!, 'SELECT 1')).toContain('password authentication failed');
    }
  });

  it('makes each role the owner of its databases and nothing more: no superuser, databases or roles', async () => {
    const owners = await psql(
      'postgres',
      '',
      'postgres',
      `SELECT string_agg(datname || '=' || pg_get_userbyid(datdba), ',' ORDER BY datname) FROM pg_database
        WHERE datname IN ('billing', 'temporal', 'temporal_visibility', 'keycloak')`,
    );
    expect(owners).toBe('billing=billing,keycloak=keycloak,temporal=temporal,temporal_visibility=temporal');
    const powers = await psql(
      'postgres',
      '',
      'postgres',
      `SELECT string_agg(rolname, ',') FROM pg_roles WHERE rolname IN ('billing', 'temporal', 'keycloak')
        AND (rolsuper OR rolcreatedb OR rolcreaterole OR rolreplication OR rolbypassrls OR NOT rolcanlogin)`,
    );
    expect(powers).toBe('');
  });

  it('can run again, and refuses passwords shared between roles or with the superuser', async () => {
    await expect(createRoles(postgresEnv())).resolves.toBeDefined();
    expect(await psql('billing', roles.billing.password, 'billing', 'SELECT 1')).toBe('1');
    for (const shared of <Record<string, string>[]>[
      { TEMPORAL_DB_PASSWORD: roles.billing.password },
      { KEYCLOAK_DB_PASSWORD: dotEnv.POSTGRES_PASSWORD! },
    ])
      await expect(createRoles({ ...postgresEnv(), ...shared })).rejects.toThrow(/must all differ/);
    await expect(createRoles({ ...postgresEnv(), BILLING_DB_PASSWORD: '' })).rejects.toThrow(
      /BILLING_DB_PASSWORD is not set/,
    );
  });

  it("runs the engine's migrations as the billing role", async () => {
    const url = envOf('migrate').DATABASE_URL!.replace('@postgresql:5432/', `@127.0.0.1:${pg.port}/`);
    const orm = await openDatabase(url, { migrate: true });
    try {
      const owner = await orm.em
        .getConnection()
        .execute<{ owner: string }[]>(
          "SELECT DISTINCT tableowner AS owner FROM pg_tables WHERE schemaname = 'public'",
        );
      expect(owner).toEqual([{ owner: 'billing' }]);
    } finally {
      await orm.close(true);
    }
  }, 120_000);
});

describe("Temporal with compose's configuration: mTLS on its frontend", () => {
  let address: string;
  let tools: { server: string; sqlTool: string; ui: string };
  let serverOutput = '';
  const ca = () => hostPath(compose, 'temporal', '/run/secrets/temporal/ca.pem', dir)!;

  /** A client with these files, checking the frontend's certificate as compose's clients do. */
  const client = (cert?: { certPath: string; keyPath: string }): TemporalConnectionOptions => ({
    address,
    tls: {
      serverNameOverride: 'temporal',
      serverRootCACertificate: readFileSync(ca()),
      ...(cert && { clientCertPair: { crt: readFileSync(cert.certPath), key: readFileSync(cert.keyPath) } }),
    },
  });

  async function describeNamespace(options: TemporalConnectionOptions) {
    const connection = await Connection.connect({ ...options, connectTimeout: 5000 });
    try {
      const { namespaceInfo } = await connection.withDeadline(Date.now() + 10_000, () =>
        connection.workflowService.describeNamespace({ namespace: 'billing' }),
      );
      return namespaceInfo?.name ?? '';
    } finally {
      await connection.close();
    }
  }

  /**
   * Why a client with these options is turned away, or `accepted`: a lazy connection without retries
   * answers at once with the channel's last error (the handshake's).
   */
  async function refusal(options: TemporalConnectionOptions): Promise<string> {
    const connection = Connection.lazy({ ...options, interceptors: [] });
    try {
      await connection.withDeadline(Date.now() + 5000, () =>
        connection.workflowService.describeNamespace({ namespace: 'billing' }),
      );
      return 'accepted';
    } catch (err) {
      return String((err as Error).message ?? err);
    } finally {
      await connection.close();
    }
  }

  beforeAll(async () => {
    tools = ensureTemporalTools({ log: () => {} });
    const db = { TEMPORAL_DB_HOST: '127.0.0.1', TEMPORAL_DB_PORT: String(pg.port) };
    const schemaCommand = compose.services['temporal-schema']!.command!;
    await run(schemaCommand[0]!, schemaCommand.slice(1), {
      cwd: ROOT,
      env: {
        ...envOf('temporal-schema', db),
        PATH: [dirname(tools.sqlTool), process.env.PATH].join(delimiter),
      },
    });
    const ports: Record<string, string> = {};
    for (const name of [
      'TEMPORAL_FRONTEND_PORT',
      'TEMPORAL_FRONTEND_HTTP_PORT',
      'TEMPORAL_FRONTEND_MEMBERSHIP_PORT',
      'TEMPORAL_HISTORY_PORT',
      'TEMPORAL_HISTORY_MEMBERSHIP_PORT',
      'TEMPORAL_MATCHING_PORT',
      'TEMPORAL_MATCHING_MEMBERSHIP_PORT',
      'TEMPORAL_WORKER_PORT',
      'TEMPORAL_WORKER_MEMBERSHIP_PORT',
    ]) {
      // Temporal keeps membership ports in a smallint column: the OS's ephemeral ones (32768 and up) fail.
      const pick = name.endsWith('MEMBERSHIP_PORT') ? lowFreePort : freePort;
      let port: number;
      do port = await pick();
      while (Object.values(ports).includes(String(port)));
      ports[name] = String(port);
    }
    address = `127.0.0.1:${ports.TEMPORAL_FRONTEND_PORT}`;
    const command = compose.services.temporal!.command!;
    const server = spawn(tools.server, command.slice(1), {
      cwd: ROOT,
      env: envOf('temporal', {
        ...db,
        ...ports,
        TEMPORAL_FRONTEND_BIND_IP: '127.0.0.1',
        TEMPORAL_METRICS_ADDRESS: `127.0.0.1:${await freePort()}`,
      }),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.push(server);
    const keep = (chunk: Buffer) => (serverOutput = (serverOutput + chunk.toString()).slice(-8000));
    server.stdout!.on('data', keep);
    server.stderr!.on('data', keep);
    // The engine's namespace tool (temporal-namespace) with the engine's environment: it waits for the
    // server, then registers the namespace and the search attributes.
    const engine = loadConfig(envOf('temporal-namespace', { TEMPORAL_ADDRESS: address }));
    try {
      await ensureNamespace(temporalConnectionOptions(engine), {
        namespace: engine.TEMPORAL_NAMESPACE,
        retentionDays: 1,
        timeoutMs: 90_000,
      });
    } catch (err) {
      throw new Error(`${(err as Error).message}\nthe server's output:\n${serverOutput}`);
    }
  }, 180_000);

  it("lets in the engine's, the UI's and the operators' certificates", async () => {
    for (const service of ['api-1', 'worker-1', 'temporal-ui']) {
      const env = envOf(service);
      expect(
        await describeNamespace(
          client({
            certPath: env.TEMPORAL_TLS_CLIENT_CERT_PATH!,
            keyPath: env.TEMPORAL_TLS_CLIENT_KEY_PATH!,
          }),
        ),
      ).toBe('billing');
    }
    const admin = join(dir, 'secrets', 'admin');
    expect(
      await describeNamespace(
        client({ certPath: join(admin, 'temporal-client.pem'), keyPath: join(admin, 'temporal-client.key') }),
      ),
    ).toBe('billing');
  });

  it('refuses a client without a certificate, or with one another CA signed, or in plaintext', async () => {
    const other = makeTestCa(dir, 'other');
    const answers = {
      none: await refusal(client()),
      otherCa: await refusal(client(other.issue('intruder', 'client'))),
      plaintext: await refusal({ address }),
    };
    expect(answers).toEqual({
      none: expect.stringMatching(/certificate required/),
      otherCa: expect.stringMatching(/unknown ca/),
      plaintext: expect.stringMatching(/UNAVAILABLE/),
    });
    // While the server is up and lets the engine in.
    const engine = envOf('api-1');
    expect(
      await refusal(
        client({
          certPath: engine.TEMPORAL_TLS_CLIENT_CERT_PATH!,
          keyPath: engine.TEMPORAL_TLS_CLIENT_KEY_PATH!,
        }),
      ),
    ).toBe('accepted');
  }, 60_000);

  it("runs its system worker through the frontend's mTLS (a namespace deletion is its workflow)", async () => {
    const env = envOf('api-1');
    const options = client({
      certPath: env.TEMPORAL_TLS_CLIENT_CERT_PATH!,
      keyPath: env.TEMPORAL_TLS_CLIENT_KEY_PATH!,
    });
    const connection = await Connection.connect(options);
    try {
      await connection.workflowService.registerNamespace({
        namespace: 'scratch',
        workflowExecutionRetentionPeriod: msToTs('1 day'),
      });
      // The frontend starts temporal-sys-delete-namespace-workflow as the system's client and waits for
      // the system worker to run it: both reach the frontend with the system worker's certificate.
      const deleted = await connection.withDeadline(Date.now() + 60_000, () =>
        connection.operatorService.deleteNamespace({ namespace: 'scratch' }),
      );
      expect(deleted.deletedNamespace).toMatch(/^scratch-deleted-/);
    } catch (err) {
      throw new Error(`${(err as Error).message}\nthe server's output:\n${serverOutput}`);
    } finally {
      await connection.close();
    }
  }, 90_000);

  it("serves the UI, whose server reaches the frontend with the UI's certificate", async () => {
    const port = await freePort();
    const command = compose.services['temporal-ui']!.command!;
    const ui = spawn(tools.ui, command.slice(1), {
      cwd: ROOT,
      env: envOf('temporal-ui', {
        TEMPORAL_ADDRESS: address,
        TEMPORAL_UI_HOST: '127.0.0.1',
        TEMPORAL_UI_PORT: String(port),
      }),
      stdio: 'ignore',
    });
    children.push(ui);
    let last = '';
    for (const deadline = Date.now() + 60_000; Date.now() < deadline;) {
      try {
        const res = await fetch(`http://127.0.0.1:${port}/api/v1/namespaces/billing`);
        last = `${res.status} ${await res.text()}`;
        if (res.ok) break;
      } catch (err) {
        last = String(err);
      }
      await new Promise((r) => setTimeout(r, 500));
    }
    expect(last).toMatch(/^200 /);
    expect(JSON.parse(last.slice(4))).toMatchObject({ namespaceInfo: { name: 'billing' } });
  }, 90_000);
});
