import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';

// No Docker engine runs in CI, so the compose file is checked as far as it can be without one.
describe('docker-compose.yml', () => {
  const file = join(__dirname, '..', '..', 'docker-compose.yml');
  const compose = parse(readFileSync(file, 'utf8')) as {
    services: Record<
      string,
      { image?: string; build?: string; command?: string[]; environment?: Record<string, unknown> }
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
    expect(compose.services.api?.command).toEqual(['npx', 'tsx', 'api/main.ts']);
    expect(compose.services.worker?.command).toEqual(['npx', 'tsx', 'worker/main.ts']);
    expect(readFileSync(join(__dirname, '..', '..', 'Dockerfile'), 'utf8')).toMatch(/^FROM node:20/m);
  });
});
