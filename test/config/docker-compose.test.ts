import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';

// No Docker engine runs in CI, so the compose file is checked as far as it can be without one.
describe('docker-compose.yml', () => {
  const file = join(__dirname, '..', '..', 'docker-compose.yml');
  const compose = parse(readFileSync(file, 'utf8')) as {
    services: Record<
      string,
      {
        image?: string;
        build?: string;
        command?: string[];
        user?: string;
        environment?: Record<string, unknown>;
        ports?: (string | number | { target?: number; published?: string | number; host_ip?: string })[];
      }
    >;
  };

  it('describes the production topology', () => {
    expect(Object.keys(compose.services).sort()).toEqual(
      ['api', 'keycloak', 'postgresql', 'temporal', 'temporal-ui', 'worker'].sort(),
    );
    expect(compose.services.temporal?.image).toMatch(/^temporalio\/auto-setup:/);
    expect(compose.services['temporal-ui']?.image).toMatch(/^temporalio\/ui:/);
    expect(compose.services.keycloak?.image).toMatch(/^quay\.io\/keycloak\/keycloak:/);
  });

  it('runs the engine on PostgreSQL with the configuration names the engine reads', () => {
    const env = compose.services.api?.environment ?? {};
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
    expect(compose.services.worker?.environment).toEqual(env);
    expect(compose.services.api?.command).toEqual(['node', 'dist/api/main.js']);
    expect(compose.services.worker?.command).toEqual(['node', 'dist/worker/main.js']);
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
    for (const name of ['api', 'worker']) {
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
