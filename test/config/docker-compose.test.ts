import { execFileSync } from 'node:child_process';
import { createPublicKey, X509Certificate } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { TEMPORAL_GOGC_DEFAULT, TOPOLOGY, WORKER_DEPLOYMENT_DEFAULTS } from '../../tools/cluster/topology';
import { loadConfig } from '../../config/env';
import { deploymentChecklist } from '../../services/setup/deployment-checklist';
import {
  composeText,
  environmentOf,
  hostPath,
  loadCompose,
  mountOf,
  parseDotEnv,
  renderTemporalConfig,
  requiredVariables,
  ROOT,
  type Compose,
} from '../helpers/compose';

// No Docker engine runs in CI, so the compose file is checked as far as it can be without one.
describe('docker-compose.yml', () => {
  const file = join(__dirname, '..', '..', 'docker-compose.yml');
  // Merge keys (`<<: *engine`): the engine's services share one definition.
  const compose = parse(readFileSync(file, 'utf8'), { merge: true }) as {
    services: Record<
      string,
      {
        image?: string;
        build?: string | { context: string; dockerfile?: string };
        command?: string[];
        user?: string;
        restart?: string;
        depends_on?: string[] | Record<string, { condition: string }>;
        environment?: Record<string, unknown>;
        ports?: (string | number | { target?: number; published?: string | number; host_ip?: string })[];
      }
    >;
  };

  const dependencies = (name: string) => {
    const deps = compose.services[name]?.depends_on ?? [];
    return Array.isArray(deps)
      ? Object.fromEntries(deps.map((d) => [d, 'service_started']))
      : Object.fromEntries(Object.entries(deps).map(([d, v]) => [d, v.condition]));
  };

  it('describes the topology npm run cluster runs: the same services, commands and configuration names', () => {
    expect(Object.keys(compose.services).sort()).toEqual(TOPOLOGY.map((s) => s.name).sort());
    for (const spec of TOPOLOGY) {
      const service = compose.services[spec.name]!;
      if (spec.command)
        expect({ name: spec.name, command: service.command }).toEqual({
          name: spec.name,
          command: spec.command,
        });
      const missing = spec.env.filter((name) => !Object.hasOwn(service.environment ?? {}, name));
      expect({ name: spec.name, missing }).toEqual({ name: spec.name, missing: [] });
      // What the cluster waits for, compose waits for too: a one-shot step to have succeeded.
      const deps = dependencies(spec.name);
      for (const dep of spec.dependsOn) {
        const wanted = TOPOLOGY.find((s) => s.name === dep)!.job
          ? 'service_completed_successfully'
          : expect.any(String);
        expect({ name: spec.name, dep, condition: deps[dep] }).toEqual({
          name: spec.name,
          dep,
          condition: wanted,
        });
      }
      if (spec.job)
        expect({ name: spec.name, restart: service.restart }).toEqual({ name: spec.name, restart: 'no' });
    }
  });

  it("builds Temporal from the Go module proxy at the cluster's version, not the image that sets itself up", () => {
    const images = Object.values(compose.services).map((s) => s.image ?? '');
    expect(images.filter((i) => i.includes('auto-setup'))).toEqual([]);
    for (const spec of TOPOLOGY.filter((s) => s.image === 'temporal')) {
      expect(compose.services[spec.name]?.build).toEqual({
        context: '.',
        dockerfile: 'ops/temporal/Dockerfile',
      });
    }
    const dockerfile = readFileSync(join(__dirname, '..', '..', 'ops', 'temporal', 'Dockerfile'), 'utf8');
    // tools/temporal-server.js builds the same versions for the cluster.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { TEMPORAL_SERVER_VERSION } = require('../../tools/temporal-server') as {
      TEMPORAL_SERVER_VERSION: string;
    };
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { TEMPORAL_CLI_VERSION } = require('../../tools/temporal-cli') as { TEMPORAL_CLI_VERSION: string };
    expect(dockerfile).toContain(`ARG TEMPORAL_SERVER_VERSION=${TEMPORAL_SERVER_VERSION}`);
    expect(dockerfile).toContain(`ARG TEMPORAL_CLI_VERSION=${TEMPORAL_CLI_VERSION}`);
    for (const pkg of [
      'go.temporal.io/server/cmd/server',
      'go.temporal.io/server/cmd/tools/sql',
      'github.com/temporalio/ui-server/v2/cmd/server',
    ])
      expect(dockerfile).toContain(pkg);
    expect(compose.services['temporal-ui']?.image).toBe('billing-temporal');
    expect(compose.services.keycloak?.image).toMatch(/^quay\.io\/keycloak\/keycloak:/);
    // Keycloak keeps its realms in a database of its own.
    expect(String(compose.services.keycloak?.environment?.KC_DB_URL)).toMatch(/\/keycloak$/);
  });

  it('runs the engine on PostgreSQL with the configuration names the engine reads', () => {
    const env = compose.services['api-1']?.environment ?? {};
    expect(String(env.DATABASE_URL)).toMatch(/^postgres:\/\//);
    expect(env.NODE_ENV).toBe('production');
    for (const name of [
      'TEMPORAL_ADDRESS',
      'TEMPORAL_NAMESPACE',
      'TEMPORAL_TASK_QUEUE',
      'OIDC_ISSUER',
      'PUBLIC_BASE_URL',
    ]) {
      expect(env).toHaveProperty(name);
    }
    for (const name of ['api-2', 'worker-1', 'worker-2', 'migrate', 'temporal-namespace'])
      expect(compose.services[name]?.environment).toEqual(env);
    // The access lane is the same API told to serve the gateway's checks alone.
    expect(compose.services['api-access']?.environment).toEqual({ ...env, API_SERVES: 'access' });
    expect(readFileSync(join(__dirname, '..', '..', 'Dockerfile'), 'utf8')).toMatch(/^FROM node:20/m);
  });

  /** Where a `ports:` entry listens on the host: its address, or every interface when it names none. */
  function hostAddress(entry: NonNullable<(typeof compose.services)[string]['ports']>[number]): string {
    if (typeof entry === 'object') return entry.host_ip ?? '0.0.0.0';
    const text = String(entry);
    // `[::1]:8233:8080`, `127.0.0.1:8233:8080`, `8233:8080`, `8080`
    const bracketed = /^\[([^\]]+)\]:/.exec(text);
    if (bracketed) return bracketed[1]!;
    const parts = text.split(':');
    return parts.length === 3 ? parts[0]! : '0.0.0.0';
  }

  it('publishes Temporal, its UI and PostgreSQL on no interface but loopback (they have no authentication)', () => {
    for (const name of ['temporal', 'temporal-ui', 'postgresql']) {
      const open = (compose.services[name]?.ports ?? []).filter((p) => hostAddress(p) !== '127.0.0.1');
      expect({ service: name, publishedBeyondLoopback: open }).toEqual({
        service: name,
        publishedBeyondLoopback: [],
      });
    }
    expect(hostAddress('7233:7233')).toBe('0.0.0.0');
    expect(hostAddress('0.0.0.0:7233:7233')).toBe('0.0.0.0');
    expect(hostAddress({ target: 7233, published: 7233 })).toBe('0.0.0.0');
    expect(hostAddress('127.0.0.1:8233:8080')).toBe('127.0.0.1');
  });

  it('runs the engine compiled, as the unprivileged user, with metrics reachable only on the compose network', () => {
    for (const name of TOPOLOGY.filter((s) => s.image === 'engine').map((s) => s.name)) {
      const service = compose.services[name];
      expect(service?.user).toBe('node');
      expect(service?.command?.[0]).toBe('node');
      expect(service?.command?.join(' ')).not.toMatch(/tsx|\.ts\b/);
      expect(service?.environment?.METRICS_HOST).toBe('0.0.0.0');
      for (const port of ['METRICS_PORT', 'WORKER_METRICS_PORT']) {
        const published = (service?.ports ?? [])
          .map(String)
          .filter((p) => p.endsWith(`:${service?.environment?.[port]}`));
        expect(published).toEqual([]);
      }
    }
    const dockerfile = readFileSync(join(__dirname, '..', '..', 'Dockerfile'), 'utf8');
    const runtime = dockerfile.slice(dockerfile.lastIndexOf('\nFROM '));
    expect(runtime).toMatch(/^USER node$/m);
    expect(runtime).toMatch(/^CMD \["node", "dist\/api\/main\.js"\]$/m);
    expect(dockerfile).not.toMatch(/npm install|tsx/);
    expect(dockerfile.match(/^RUN .*npm ci\b/gm)).toHaveLength(2);
    expect(runtime).not.toMatch(/^COPY \. /m);
  });

  describe('what it trusts (issue 42: no shared superuser, Keycloak over TLS, Temporal behind mTLS)', () => {
    /** The operator's .env, as docs/operations.md says to write it. */
    const dotEnv = parseDotEnv(readFileSync(join(ROOT, 'ops', 'compose.env.example'), 'utf8'));
    const filled = loadCompose(dotEnv);
    /** Every `${NAME…}` written as `<NAME>`, so what a value is made of shows (no default applies). */
    const marked = loadCompose(new Proxy({}, { get: (_t, name) => `<${String(name)}>` }));
    const engineServices = Object.keys(filled.services).filter(
      (name) => filled.services[name]?.image === 'billing-engine',
    );

    it('is filled in from the example .env, which names every variable compose requires', () => {
      expect(requiredVariables(composeText()).filter((name) => !dotEnv[name])).toEqual([]);
      expect(engineServices.sort()).toEqual(
        ['api-1', 'api-2', 'api-access', 'migrate', 'temporal-namespace', 'worker-1', 'worker-2'].sort(),
      );
    });

    it("gives its workers the deployment's defaults the cluster gives its own, the operator's .env aside", () => {
      for (const worker of ['worker-1', 'worker-2']) {
        const env = environmentOf(filled, worker);
        for (const [name, value] of Object.entries(WORKER_DEPLOYMENT_DEFAULTS))
          expect({ worker, name, value: env[name] }).toEqual({ worker, name, value });
        expect(
          environmentOf(loadCompose({ ...dotEnv, WORKER_STICKY_QUEUE_TIMEOUT_SECONDS: '60' }), worker),
        ).toMatchObject({ WORKER_STICKY_QUEUE_TIMEOUT_SECONDS: '60' });
      }
    });

    it("gives the Temporal server the cluster's garbage collector target, the operator's .env aside", () => {
      expect(environmentOf(filled, 'temporal').GOGC).toBe(TEMPORAL_GOGC_DEFAULT);
      expect(environmentOf(loadCompose({ ...dotEnv, TEMPORAL_GOGC: '200' }), 'temporal').GOGC).toBe('200');
    });

    it('gives the engine, Temporal and Keycloak a PostgreSQL role each, with a password each, and the superuser to none', () => {
      const url = (value: string) => {
        const m = /^postgres(?:ql)?:\/\/([^:@/]+):(.*)@[^@]+$/.exec(value);
        return { role: m?.[1], password: m?.[2] };
      };
      const systems: Record<string, { role?: string; password?: string }[]> = {
        engine: engineServices.map((name) => url(environmentOf(marked, name).DATABASE_URL ?? '')),
        temporal: ['temporal-schema', 'temporal'].map((name) => ({
          role: environmentOf(marked, name).TEMPORAL_DB_USER,
          password: environmentOf(marked, name).TEMPORAL_DB_PASSWORD,
        })),
        keycloak: [
          {
            role: environmentOf(marked, 'keycloak').KC_DB_USERNAME,
            password: environmentOf(marked, 'keycloak').KC_DB_PASSWORD,
          },
        ],
      };
      const postgres = environmentOf(marked, 'postgresql');
      const superuser = postgres.POSTGRES_USER || 'postgres';
      expect(postgres.POSTGRES_PASSWORD).toBe('<POSTGRES_PASSWORD>');
      const each = Object.entries(systems).map(([system, uses]) => {
        // Every service of a system connects as the same role with the same password.
        expect({ system, uses: new Set(uses.map((u) => `${u.role} ${u.password}`)).size }).toEqual({
          system,
          uses: 1,
        });
        return { system, ...uses[0]! };
      });
      const roles = each.map((e) => e.role);
      const passwords = each.map((e) => e.password);
      expect(new Set(roles).size).toBe(each.length);
      expect(new Set(passwords).size).toBe(each.length);
      expect(roles).not.toContain(superuser);
      for (const e of each) {
        // A variable of its own, never a literal in the file, never the superuser's.
        expect(e.password).toMatch(/^<[A-Z_]+_PASSWORD>$/);
        expect(e.password).not.toBe('<POSTGRES_PASSWORD>');
        // PostgreSQL is given it, so its init script can make the role with it.
        expect(Object.values(postgres)).toContain(e.password);
      }
      // The superuser's password reaches no service but PostgreSQL itself.
      const holders = Object.entries(marked.services)
        .filter(([, s]) => JSON.stringify([s.environment, s.command]).includes('<POSTGRES_PASSWORD>'))
        .map(([name]) => name);
      expect(holders).toEqual(['postgresql']);
      // The roles are made by a script of ops/postgres that the server's image runs on its first start.
      const init = (filled.services.postgresql?.volumes ?? [])
        .map(String)
        .filter((v) => v.split(':')[1]?.startsWith('/docker-entrypoint-initdb.d/'));
      expect(init).toHaveLength(1);
      const script = readFileSync(join(ROOT, init[0]!.split(':')[0]!), 'utf8');
      for (const e of each) {
        expect(script).toContain(e.role);
        expect(script).toContain(e.password!.slice(1, -1));
      }
    });

    /** The container port a `ports:` entry publishes. */
    const targetOf = (entry: NonNullable<Compose['services'][string]['ports']>[number]) =>
      typeof entry === 'object'
        ? Number(entry.target)
        : Number(String(entry).split(':').pop()!.split('/')[0]);

    it('runs Keycloak on TLS alone, with a strict hostname, and the engine reaches it by that name', () => {
      const keycloak = filled.services.keycloak!;
      const command = keycloak.command ?? [];
      const env = environmentOf(filled, 'keycloak');
      expect(command[0]).toBe('start');
      expect(command.join(' ')).not.toMatch(/--hostname-strict[= ]false/);
      expect(env.KC_HOSTNAME_STRICT).not.toBe('false');
      expect(command.join(' ')).not.toMatch(/--http-enabled[= ]true/);
      expect(env.KC_HTTP_ENABLED).not.toBe('true');
      expect(command).toContain(`--hostname=https://${dotEnv.KEYCLOAK_HOSTNAME}:8443`);
      const option = (name: string) => command.find((a) => a.startsWith(`--${name}=`))?.split('=')[1];
      for (const file of ['https-certificate-file', 'https-certificate-key-file']) {
        expect({ file, mount: mountOf(filled, 'keycloak', option(file) ?? '')?.readOnly }).toEqual({
          file,
          mount: true,
        });
      }
      // Published: its https port only, never the http one (8080).
      const https = Number(option('https-port') ?? 8443);
      expect((keycloak.ports ?? []).map(targetOf)).toEqual([https]);
      // On the compose network it answers to the certificate's name too, so the engine checks tokens
      // against the issuer they name, over TLS.
      const networks = keycloak.networks as Record<string, { aliases?: string[] }> | undefined;
      expect(networks?.default?.aliases).toContain(dotEnv.KEYCLOAK_HOSTNAME);
      const engine = environmentOf(filled, 'api-1');
      expect(engine.OIDC_ISSUER).toBe(`https://${dotEnv.KEYCLOAK_HOSTNAME}:8443/realms/billing`);
      expect(engine.KEYCLOAK_URL).toBe(`https://${dotEnv.KEYCLOAK_HOSTNAME}:8443`);
    });

    const TLS_CLIENT = [
      'TEMPORAL_TLS_SERVER_CA_CERT_PATH',
      'TEMPORAL_TLS_SERVER_NAME',
      'TEMPORAL_TLS_CLIENT_CERT_PATH',
      'TEMPORAL_TLS_CLIENT_KEY_PATH',
    ] as const;
    /** Who calls Temporal's frontend: the engine's services, the UI, and the server's own system worker. */
    const temporalClients = () =>
      Object.keys(filled.services).filter(
        (name) => name === 'temporal' || environmentOf(filled, name).TEMPORAL_ADDRESS !== undefined,
      );

    it("requires a client certificate on Temporal's frontend, and gives every client of it one", () => {
      const serverEnv = environmentOf(filled, 'temporal');
      const config = renderTemporalConfig('ops/temporal/config/production.yaml', serverEnv) as {
        global: {
          tls?: {
            frontend?: {
              server?: {
                certFile?: string;
                keyFile?: string;
                requireClientAuth?: boolean;
                clientCaFiles?: string[];
              };
            };
            systemWorker?: {
              certFile?: string;
              keyFile?: string;
              client?: { serverName?: string; rootCaFiles?: string[] };
            };
          };
        };
      };
      const server = config.global.tls?.frontend?.server;
      expect(server?.requireClientAuth).toBe(true);
      expect(server?.clientCaFiles).toHaveLength(1);
      const systemWorker = config.global.tls?.systemWorker;
      expect(systemWorker?.client?.serverName).toBe(serverEnv.TEMPORAL_TLS_SERVER_NAME);
      for (const file of [
        server?.certFile,
        server?.keyFile,
        ...(server?.clientCaFiles ?? []),
        systemWorker?.certFile,
        systemWorker?.keyFile,
        ...(systemWorker?.client?.rootCaFiles ?? []),
      ])
        expect({ file, mounted: mountOf(filled, 'temporal', file ?? '')?.readOnly }).toEqual({
          file,
          mounted: true,
        });

      const clients = temporalClients();
      expect(clients).toEqual(expect.arrayContaining(['temporal', 'temporal-ui', 'temporal-namespace']));
      for (const name of clients) {
        const env = environmentOf(filled, name);
        expect({ name, TEMPORAL_TLS: env.TEMPORAL_TLS ?? '' }).not.toEqual({ name, TEMPORAL_TLS: 'false' });
        expect({ name, serverName: env.TEMPORAL_TLS_SERVER_NAME }).toEqual({
          name,
          serverName: serverEnv.TEMPORAL_TLS_SERVER_NAME,
        });
        for (const variable of TLS_CLIENT.filter((v) => v !== 'TEMPORAL_TLS_SERVER_NAME'))
          expect({ name, variable, mounted: mountOf(filled, name, env[variable] ?? '')?.readOnly }).toEqual({
            name,
            variable,
            mounted: true,
          });
      }

      // The UI's server dials the frontend with its certificate, and checks the frontend's.
      const uiEnv = environmentOf(filled, 'temporal-ui');
      const ui = renderTemporalConfig('ops/temporal/ui/production.yaml', uiEnv) as {
        tls?: Record<string, unknown>;
      };
      expect(ui.tls).toEqual({
        caFile: uiEnv.TEMPORAL_TLS_SERVER_CA_CERT_PATH,
        certFile: uiEnv.TEMPORAL_TLS_CLIENT_CERT_PATH,
        keyFile: uiEnv.TEMPORAL_TLS_CLIENT_KEY_PATH,
        serverName: uiEnv.TEMPORAL_TLS_SERVER_NAME,
        enableHostVerification: true,
      });
    });

    describe('with the certificates ops/tls/make-certs.sh makes', () => {
      let dir: string;
      /** Where `./secrets/…` of the compose file lands here. */
      const onHost = (service: string, path: string) => hostPath(filled, service, path, dir);

      beforeAll(() => {
        dir = mkdtempSync(join(tmpdir(), 'compose-certs-'));
        execFileSync('sh', [join(ROOT, 'ops', 'tls', 'make-certs.sh'), join(dir, 'secrets')], {
          env: { PATH: process.env.PATH ?? '', KEYCLOAK_HOSTNAME: dotEnv.KEYCLOAK_HOSTNAME },
          stdio: ['ignore', 'ignore', 'pipe'],
        });
      }, 60_000);
      afterAll(() => rmSync(dir, { recursive: true, force: true }));

      it('has every file a service is pointed at, each service its own, and mounts no CA key', () => {
        for (const [name, service] of Object.entries(filled.services)) {
          const paths = [
            ...Object.values(environmentOf(filled, name)),
            ...(service.command ?? []).map((a) => a.replace(/^--[a-z-]+=/, '')),
          ].filter((v) => v.startsWith('/run/secrets/'));
          for (const path of paths) {
            const file = onHost(name, path);
            expect({ name, path, exists: file !== null && existsSync(file) }).toEqual({
              name,
              path,
              exists: true,
            });
          }
          // A service gets its own folder of secrets/, never all of it or the CA's (which holds its key).
          for (const mount of (service.volumes ?? []).map(String).filter((v) => v.includes('secrets')))
            expect({ name, mount }).toEqual({
              name,
              mount: expect.stringMatching(/^\.\/secrets\/(?!ca[:/])[a-z-]+:/),
            });
        }
        const cert = (service: string, variable: string) =>
          new X509Certificate(readFileSync(onHost(service, environmentOf(filled, service)[variable]!)!));
        // Each client its own certificate (one can be revoked without the others), from the CA the
        // frontend trusts; the frontend's names the server name its clients check.
        const serverEnv = environmentOf(filled, 'temporal');
        expect(existsSync(join(dir, 'secrets', 'ca', 'ca.key'))).toBe(true);
        const ca = new X509Certificate(
          readFileSync(onHost('temporal', serverEnv.TEMPORAL_TLS_CLIENT_CA_CERT_PATH!)!),
        );
        const clients = temporalClients();
        const fingerprints = new Set(
          clients.map((c) => cert(c, 'TEMPORAL_TLS_CLIENT_CERT_PATH').fingerprint256),
        );
        // The engine's services share one (they are one application).
        expect(fingerprints.size).toBe(clients.length - engineServices.length + 1);
        for (const client of clients) {
          expect(cert(client, 'TEMPORAL_TLS_CLIENT_CERT_PATH').verify(ca.publicKey)).toBe(true);
          expect(cert(client, 'TEMPORAL_TLS_CLIENT_CERT_PATH').keyUsage).toContain('1.3.6.1.5.5.7.3.2');
        }
        const frontend = new X509Certificate(
          readFileSync(onHost('temporal', serverEnv.TEMPORAL_TLS_FRONTEND_CERT_PATH!)!),
        );
        expect(frontend.checkHost(serverEnv.TEMPORAL_TLS_SERVER_NAME!)).toBe(
          serverEnv.TEMPORAL_TLS_SERVER_NAME,
        );
        expect(frontend.verify(ca.publicKey)).toBe(true);
        // Keycloak's is for its hostname.
        const keycloakCert = new X509Certificate(
          readFileSync(onHost('keycloak', '/run/secrets/keycloak/tls.pem')!),
        );
        expect(keycloakCert.checkHost(dotEnv.KEYCLOAK_HOSTNAME!)).toBe(dotEnv.KEYCLOAK_HOSTNAME);
        // Private keys are for their owner alone.
        for (const client of clients) {
          const key = onHost(client, environmentOf(filled, client).TEMPORAL_TLS_CLIENT_KEY_PATH!)!;
          expect({ key, mode: (statSync(key).mode & 0o777).toString(8) }).toEqual({ key, mode: '600' });
          expect(createPublicKey(readFileSync(key)).export({ format: 'pem', type: 'spki' })).toEqual(
            cert(client, 'TEMPORAL_TLS_CLIENT_CERT_PATH').publicKey.export({ format: 'pem', type: 'spki' }),
          );
        }
      });

      it("passes npm run verify's deployment checklist, and the engine takes its configuration", () => {
        for (const name of engineServices) {
          const env = environmentOf(filled, name);
          const items = deploymentChecklist(env);
          expect({ name, notPassing: items.filter((i) => i.status !== 'pass').map((i) => i.name) }).toEqual({
            name,
            // Checked by hand: the balancer overwrites X-Forwarded-* (test/config/balancer.test.ts).
            notPassing: env.TRUST_PROXY ? ['proxy headers'] : [],
          });
          // What the engine reads at start-up, its certificate files where compose mounts them.
          const mapped = Object.fromEntries(
            Object.entries(env).map(([k, v]) => [k, v.startsWith('/run/secrets/') ? onHost(name, v)! : v]),
          );
          expect(() => loadConfig(mapped)).not.toThrow();
        }
      });
    });
  });
});
