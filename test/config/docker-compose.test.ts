import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { TOPOLOGY } from '../../tools/cluster/topology';

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
    for (const name of ['api-1', 'api-2', 'worker-1', 'worker-2', 'migrate', 'temporal-namespace']) {
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
});
