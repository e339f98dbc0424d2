import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { apiPoolMax, ConfigError, loadConfig } from '../../config/env';

const root = join(__dirname, '..', '..');

function startApi(env: Record<string, string>) {
  return spawnSync(process.execPath, [require.resolve('tsx/cli'), 'api/main.ts'], {
    cwd: root,
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '',
      LOG_LEVEL: 'silent',
      NODE_ENV: 'development',
      ...env,
    },
    encoding: 'utf8',
    timeout: 30_000,
  });
}

describe('configuration', () => {
  it('has embedded defaults for a local run', () => {
    const config = loadConfig({ NODE_ENV: 'development' });
    expect(config.PORT).toBe(8080);
    expect(config.DATABASE_URL).toBe('sqlite:var/billing.sqlite');
    expect(config.TEMPORAL_NAMESPACE).toBe('billing');
    expect(config.TEMPORAL_TASK_QUEUE).toBe('billing');
  });

  it('names every bad variable in one message', () => {
    let error: unknown;
    try {
      loadConfig({ PORT: 'eighty', DATABASE_URL: 'mysql://db/x', OIDC_ISSUER: 'not a url' });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const message = (error as Error).message;
    expect(message).toMatch(/PORT/);
    expect(message).toMatch(/DATABASE_URL: must be sqlite:<path> or postgres/);
    expect(message).toMatch(/OIDC_ISSUER/);
  });

  it('serves all unless told to serve the access lane alone, and refuses any other word', () => {
    expect(loadConfig({ NODE_ENV: 'development' }).API_SERVES).toBe('all');
    expect(loadConfig({ NODE_ENV: 'development', API_SERVES: 'access' }).API_SERVES).toBe('access');
    for (const word of ['Access', 'access ', 'reports', 'all,access', '\u0000access', 'аccess']) {
      expect(() => loadConfig({ NODE_ENV: 'development', API_SERVES: word })).toThrow(/API_SERVES/);
    }
  });

  it('names every variable production requires in the production checklist of docs/operations.md', () => {
    let message = '';
    try {
      loadConfig({ NODE_ENV: 'production' });
    } catch (err) {
      message = (err as Error).message;
    }
    // Each line of the refusal is `  NAME: why`; a line like `METRICS_TOKEN: or METRICS_PORT …` names two.
    const required = message
      .split('\n')
      .slice(1)
      .flatMap((line) => line.match(/\b[A-Z][A-Z0-9]*_[A-Z0-9_]+\b/g) ?? [])
      .filter((name) => name !== 'NODE_ENV');
    expect(required).toEqual(expect.arrayContaining(['OIDC_ISSUER', 'OIDC_AUDIENCE', 'PUBLIC_BASE_URL']));
    const page = readFileSync(join(root, 'docs', 'operations.md'), 'utf8');
    // The section runs to the next heading of its level or to the end of the page.
    const checklist = /^## Production\n([\s\S]*?)(?=^## |(?![\s\S]))/m.exec(page)?.[1] ?? '';
    expect(checklist).not.toBe('');
    expect(required.filter((name) => !checklist.includes(`\`${name}\``))).toEqual([]);
  });

  it('refuses production without an OIDC issuer', () => {
    expect(() => loadConfig({ NODE_ENV: 'production' })).toThrow(
      /OIDC_ISSUER: is required when NODE_ENV=production/,
    );
  });

  it('refuses production without a token audience, so tokens for other clients are not taken', () => {
    expect(() =>
      loadConfig({ NODE_ENV: 'production', OIDC_ISSUER: 'https://sso.example.com/realms/billing' }),
    ).toThrow(/OIDC_AUDIENCE: is required when NODE_ENV=production/);
    expect(() =>
      loadConfig({
        NODE_ENV: 'production',
        OIDC_ISSUER: 'https://sso.example.com/realms/billing',
        OIDC_AUDIENCE: 'billing-engine',
        PUBLIC_BASE_URL: 'https://billing.example.com',
        METRICS_TOKEN: 'a-long-scrape-token',
      }),
    ).not.toThrow();
  });

  it('refuses production with /metrics open to anyone: a token or a port of its own is needed', () => {
    const production = {
      NODE_ENV: 'production',
      OIDC_ISSUER: 'https://sso.example.com/realms/billing',
      OIDC_AUDIENCE: 'billing-engine',
      PUBLIC_BASE_URL: 'https://billing.example.com',
    };
    expect(() => loadConfig(production)).toThrow(/METRICS_TOKEN: or METRICS_PORT is required/);
    expect(() => loadConfig({ ...production, METRICS_PORT: '9100' })).not.toThrow();
    expect(() => loadConfig({ ...production, METRICS_TOKEN: 'short' })).toThrow(/METRICS_TOKEN/);
  });

  it("refuses production without PUBLIC_BASE_URL, so Checkout's return pages never follow a request's Host", () => {
    const production = {
      NODE_ENV: 'production',
      OIDC_ISSUER: 'https://sso.example.com/realms/billing',
      OIDC_AUDIENCE: 'billing-engine',
    };
    expect(() => loadConfig(production)).toThrow(/PUBLIC_BASE_URL: is required when NODE_ENV=production/);
    expect(loadConfig({ NODE_ENV: 'development' }).PUBLIC_BASE_URL).toBeUndefined();
    // Stripe redirects customers there, so only a web address will do.
    expect(() => loadConfig({ PUBLIC_BASE_URL: 'javascript:alert(1)' })).toThrow(/PUBLIC_BASE_URL/);
  });

  it('stops the API at start-up with a clear message when DATABASE_URL is malformed', () => {
    const result = startApi({ DATABASE_URL: 'mysql://localhost/billing' });
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('DATABASE_URL: must be sqlite:<path> or postgres://');
  });

  it('stops the API at start-up naming DATABASE_URL when the database cannot be opened', () => {
    const result = startApi({
      DATABASE_URL: 'postgres://nobody:secret@127.0.0.1:1/billing',
      VAR_DIR: mkdtempSync(join(tmpdir(), 'billing-var-')),
    });
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('DATABASE_URL: cannot open postgres://nobody:***@127.0.0.1:1/billing');
    expect(result.stderr).not.toContain('secret');
  });

  it('stops the API in production when no BYOK encryption key is given', () => {
    const result = startApi({
      NODE_ENV: 'production',
      OIDC_ISSUER: 'https://sso.example.com/realms/billing',
      OIDC_AUDIENCE: 'billing-engine',
      PUBLIC_BASE_URL: 'https://billing.example.com',
      METRICS_TOKEN: 'a-long-scrape-token',
    });
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('BYOK_ENCRYPTION_KEY');
    expect(result.stderr).toContain('production');
  });

  it('stops the API naming BYOK_ENCRYPTION_KEY when the key is malformed, without echoing it', () => {
    const result = startApi({ BYOK_ENCRYPTION_KEY: 'not-a-32-byte-key-secretvalue' });
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('BYOK_ENCRYPTION_KEY');
    expect(result.stderr).not.toContain('secretvalue');
  });

  const production = {
    NODE_ENV: 'production',
    OIDC_ISSUER: 'https://sso.example.com/realms/billing',
    OIDC_AUDIENCE: 'billing-engine',
    PUBLIC_BASE_URL: 'https://billing.example.com',
    METRICS_TOKEN: 'a-long-scrape-token',
  };

  it('runs as production when NODE_ENV is unset: development must be asked for', () => {
    expect(() => loadConfig({})).toThrow(/OIDC_ISSUER: is required when NODE_ENV=production/);
    const { NODE_ENV: _, ...unset } = production;
    expect(loadConfig(unset).NODE_ENV).toBe('production');
    expect(loadConfig({ NODE_ENV: 'development' }).DEV_SIGN_IN).toBe(false);
  });

  it('does not start an API that has neither NODE_ENV nor an identity provider, so it never mints admin tokens', () => {
    const result = spawnSync(process.execPath, [require.resolve('tsx/cli'), 'api/main.ts'], {
      cwd: root,
      env: {
        PATH: process.env.PATH ?? '',
        HOME: process.env.HOME ?? '',
        LOG_LEVEL: 'silent',
        PORT: '0',
        DATABASE_URL: 'sqlite::memory:',
        VAR_DIR: mkdtempSync(join(tmpdir(), 'billing-var-')),
      },
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('OIDC_ISSUER: is required when NODE_ENV=production');
  });

  it('refuses the development sign-in in production, and takes only true or false for it', () => {
    expect(() => loadConfig({ ...production, DEV_SIGN_IN: 'true' })).toThrow(
      /DEV_SIGN_IN: cannot be true when NODE_ENV=production/,
    );
    expect(loadConfig({ ...production, DEV_SIGN_IN: 'false' }).DEV_SIGN_IN).toBe(false);
    expect(loadConfig({ NODE_ENV: 'development', DEV_SIGN_IN: 'true' }).DEV_SIGN_IN).toBe(true);
    for (const value of ['1', 'yes', 'TRUE', 'on'])
      expect(() => loadConfig({ NODE_ENV: 'development', DEV_SIGN_IN: value })).toThrow(/DEV_SIGN_IN/);
  });

  it("takes the intake's lanes as a whole number from 1 to 256, 32 when unset, and names it when refused", () => {
    const dev = { NODE_ENV: 'development' };
    expect(loadConfig(dev).STRIPE_EVENT_FORWARD_LANES).toBe(32);
    expect(loadConfig({ ...dev, STRIPE_EVENT_FORWARD_LANES: '8' }).STRIPE_EVENT_FORWARD_LANES).toBe(8);
    for (const value of ['0', '-1', '257', '1.5', '1e3', 'eight', ' ', '8\u0000', '\ud800', '9'.repeat(400)])
      expect(() => loadConfig({ ...dev, STRIPE_EVENT_FORWARD_LANES: value })).toThrow(
        /STRIPE_EVENT_FORWARD_LANES/,
      );
  });

  it('gives an API a connection for each lane and 16 more unless DATABASE_POOL_MAX says, and names it when refused', () => {
    const dev = { NODE_ENV: 'development' };
    expect(apiPoolMax(loadConfig(dev))).toBe(48);
    expect(apiPoolMax(loadConfig({ ...dev, STRIPE_EVENT_FORWARD_LANES: '4' }))).toBe(20);
    expect(apiPoolMax(loadConfig({ ...dev, DATABASE_POOL_MAX: '12' }))).toBe(12);
    expect(loadConfig(dev).DATABASE_POOL_MAX).toBeUndefined();
    for (const value of ['0', '-1', '501', '1.5', 'ten', ' ', '\ud800', '9'.repeat(400)])
      expect(() => loadConfig({ ...dev, DATABASE_POOL_MAX: value })).toThrow(/DATABASE_POOL_MAX/);
  });

  it('takes RETURN_URL_ORIGINS as http(s) origins only', () => {
    expect(
      loadConfig({
        NODE_ENV: 'development',
        RETURN_URL_ORIGINS: 'https://App.example.com, http://localhost:5173/',
      }).RETURN_URL_ORIGINS,
    ).toEqual(['https://app.example.com', 'http://localhost:5173']);
    expect(loadConfig({ NODE_ENV: 'development' }).RETURN_URL_ORIGINS).toEqual([]);
    for (const value of [
      'https://app.example.com/path',
      'https://app.example.com?x=1',
      'https://user@app.example.com',
      'ftp://app.example.com',
      'javascript:alert(1)',
      'app.example.com',
      '//app.example.com',
      'https://app.example.com,https://evil.com/phish',
    ])
      expect(() => loadConfig({ NODE_ENV: 'development', RETURN_URL_ORIGINS: value })).toThrow(
        /RETURN_URL_ORIGINS: .* is not an http\(s\) origin/,
      );
  });

  describe("the worker's Temporal tuning", () => {
    const names = [
      'WORKER_MAX_CONCURRENT_WORKFLOW_TASKS',
      'WORKER_MAX_CONCURRENT_ACTIVITIES',
      'WORKER_MAX_CONCURRENT_LOCAL_ACTIVITIES',
      'WORKER_MAX_CACHED_WORKFLOWS',
      'WORKER_WORKFLOW_POLLERS',
      'WORKER_ACTIVITY_POLLERS',
      'WORKER_STICKY_QUEUE_TIMEOUT_SECONDS',
    ] as const;
    const tuning = (env: Record<string, string>) => {
      const config = loadConfig({ NODE_ENV: 'development', ...env });
      return Object.fromEntries(names.map((n) => [n, config[n]]));
    };

    it('leaves every setting unset when no variable is given, so the SDK keeps its defaults', () => {
      expect(tuning({})).toEqual(Object.fromEntries(names.map((n) => [n, undefined])));
      // `NAME=` in a shell or compose's `${NAME:-}` is unset too.
      expect(tuning(Object.fromEntries(names.map((n) => [n, ''])))).toEqual(
        Object.fromEntries(names.map((n) => [n, undefined])),
      );
    });

    it('takes whole numbers within each range', () => {
      expect(
        tuning({
          WORKER_MAX_CONCURRENT_WORKFLOW_TASKS: '80',
          WORKER_MAX_CONCURRENT_ACTIVITIES: '200',
          WORKER_MAX_CONCURRENT_LOCAL_ACTIVITIES: '50',
          WORKER_MAX_CACHED_WORKFLOWS: '6000',
          WORKER_WORKFLOW_POLLERS: '20',
          WORKER_ACTIVITY_POLLERS: '16',
          WORKER_STICKY_QUEUE_TIMEOUT_SECONDS: '120',
        }),
      ).toEqual({
        WORKER_MAX_CONCURRENT_WORKFLOW_TASKS: 80,
        WORKER_MAX_CONCURRENT_ACTIVITIES: 200,
        WORKER_MAX_CONCURRENT_LOCAL_ACTIVITIES: 50,
        WORKER_MAX_CACHED_WORKFLOWS: 6000,
        WORKER_WORKFLOW_POLLERS: 20,
        WORKER_ACTIVITY_POLLERS: 16,
        WORKER_STICKY_QUEUE_TIMEOUT_SECONDS: 120,
      });
    });

    it.each(names)('refuses a %s that is not a sane whole number, naming it', (name) => {
      for (const value of ['lots', '1.5', '-4', '0', '1000000'])
        expect(() => tuning({ [name]: value })).toThrow(
          new RegExp(`^  ${name}: must be (a whole number|at least \\d+|at most \\d+)$`, 'm'),
        );
    });

    it('refuses more workflow tasks at once than the sticky cache holds, and more pollers than slots', () => {
      expect(() =>
        tuning({ WORKER_MAX_CONCURRENT_WORKFLOW_TASKS: '100', WORKER_MAX_CACHED_WORKFLOWS: '50' }),
      ).toThrow(/WORKER_MAX_CONCURRENT_WORKFLOW_TASKS: cannot exceed WORKER_MAX_CACHED_WORKFLOWS \(50\)/);
      // Against the SDK's 40 workflow-task and 100 activity slots when those are unset.
      expect(() => tuning({ WORKER_WORKFLOW_POLLERS: '41' })).toThrow(
        /WORKER_WORKFLOW_POLLERS: cannot exceed the workflow tasks run at once \(40/,
      );
      expect(() => tuning({ WORKER_ACTIVITY_POLLERS: '101' })).toThrow(
        /WORKER_ACTIVITY_POLLERS: cannot exceed the activities run at once \(100/,
      );
      expect(tuning({ WORKER_WORKFLOW_POLLERS: '40', WORKER_ACTIVITY_POLLERS: '100' })).toMatchObject({
        WORKER_WORKFLOW_POLLERS: 40,
        WORKER_ACTIVITY_POLLERS: 100,
      });
      expect(
        tuning({ WORKER_MAX_CONCURRENT_WORKFLOW_TASKS: '100', WORKER_WORKFLOW_POLLERS: '60' }),
      ).toMatchObject({ WORKER_WORKFLOW_POLLERS: 60 });
    });
  });

  it('believes no proxy unless TRUST_PROXY names one', () => {
    const trust = (value?: string) =>
      loadConfig({ NODE_ENV: 'development', ...(value === undefined ? {} : { TRUST_PROXY: value }) })
        .TRUST_PROXY;
    expect([trust(), trust('false'), trust('true'), trust('1'), trust('2')]).toEqual([
      false,
      false,
      true,
      1,
      2,
    ]);
    for (const value of ['0', '-1', 'yes', '1.5', 'loopback', '100'])
      expect(() => trust(value)).toThrow(/TRUST_PROXY/);
  });
});
