import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import { COMMANDS, commandConfig, type Command } from '../../config/commands';
import { ConfigError, loadConfig } from '../../config/env';
import { startStripeEmulator, type StripeEmulator } from '../../tools/stripe-emulator';
import { openTestDatabase } from '../helpers/db';

const ROOT = resolve(__dirname, '../..');

/** What each command cannot run without, and nothing else: a value for every variable it requires. */
const ONLY_WHAT_IT_NEEDS: Record<Command, Record<string, string>> = {
  migrate: {},
  'stripe:sync': { STRIPE_SECRET_KEY: 'sk_live_operator' },
  'stripe:backfill-charges': { STRIPE_SECRET_KEY: 'sk_live_operator' },
  'billing:reverify': { STRIPE_SECRET_KEY: 'sk_live_operator' },
  'seed:book': { STRIPE_SECRET_KEY: 'sk_test_operator' },
  'byok:rotate': { BYOK_ENCRYPTION_KEY: 'a'.repeat(64), BYOK_ENCRYPTION_KEY_PREVIOUS: 'b'.repeat(64) },
  'keycloak:setup': {
    KEYCLOAK_URL: 'https://sso.example.com',
    KEYCLOAK_REALM: 'billing',
    KEYCLOAK_CLIENT_ID: 'billing-engine',
    KEYCLOAK_CLIENT_SECRET: 'secret',
  },
  'temporal:namespace': {},
  verify: {},
};

// An operator command asks for what it uses: `npm run stripe:sync` against a real account refused to
// run without OIDC_AUDIENCE, PUBLIC_BASE_URL and a metrics token, which only the API and worker use.
describe("the operator commands' configuration checks", () => {
  it.each(Object.keys(COMMANDS) as Command[])('%s runs in production with only what it needs', (command) => {
    const config = commandConfig(command, { NODE_ENV: 'production', ...ONLY_WHAT_IT_NEEDS[command] });
    expect(config.NODE_ENV).toBe('production');
  });

  it('keeps the full production checks for the API and the worker', () => {
    const env = { NODE_ENV: 'production', STRIPE_SECRET_KEY: 'sk_live_operator' };
    expect(() => loadConfig(env)).toThrow(ConfigError);
    let message = '';
    try {
      loadConfig(env);
    } catch (err) {
      message = (err as Error).message;
    }
    for (const name of ['OIDC_AUDIENCE', 'PUBLIC_BASE_URL', 'METRICS_TOKEN', 'OIDC_ISSUER'])
      expect(message).toContain(name);
  });

  it('still refuses stripe:sync without a Stripe key, naming the variable and the command', () => {
    expect(() => commandConfig('stripe:sync', { NODE_ENV: 'production' })).toThrow(ConfigError);
    expect(() => commandConfig('stripe:sync', { NODE_ENV: 'production' })).toThrow(
      /npm run stripe:sync[\s\S]*STRIPE_SECRET_KEY: is required/,
    );
    // The emulator stands in for Stripe with its address alone.
    expect(() =>
      commandConfig('stripe:sync', { NODE_ENV: 'production', STRIPE_API_BASE: 'http://127.0.0.1:12111' }),
    ).not.toThrow();
  });

  it('still checks the values it reads, and ignores what belongs to other parts of the engine', () => {
    expect(() =>
      commandConfig('stripe:sync', { NODE_ENV: 'production', STRIPE_SECRET_KEY: 'pk_live_publishable' }),
    ).toThrow(/STRIPE_SECRET_KEY/);
    expect(() =>
      commandConfig('stripe:sync', {
        NODE_ENV: 'production',
        STRIPE_SECRET_KEY: 'sk_live_x',
        DATABASE_URL: 'mysql://x',
      }),
    ).toThrow(/DATABASE_URL/);
    // Half a Keycloak configuration and a bad Lago address are the API's and worker's business.
    expect(() =>
      commandConfig('stripe:sync', {
        NODE_ENV: 'production',
        STRIPE_SECRET_KEY: 'sk_live_x',
        KEYCLOAK_URL: 'https://sso.example.com',
        LAGO_API_URL: 'not a url',
        DEV_SIGN_IN: 'true',
      }),
    ).not.toThrow();
    // …but keycloak:setup, which uses Keycloak, asks for all of it.
    expect(() =>
      commandConfig('keycloak:setup', { NODE_ENV: 'production', KEYCLOAK_URL: 'https://sso.example.com' }),
    ).toThrow(/KEYCLOAK_CLIENT_SECRET: is required/);
  });
});

/** `npm run stripe:sync` as an operator runs it: its own process, configured by the environment only. */
function runSync(env: Record<string, string>): Promise<{ code: number; out: string }> {
  return new Promise((done) => {
    execFile(
      process.execPath,
      [require.resolve('tsx/cli'), 'tools/stripe-sync.ts', '--dry-run'],
      { cwd: ROOT, env: { PATH: process.env.PATH ?? '', LOG_LEVEL: 'silent', ...env }, timeout: 60_000 },
      (err, stdout, stderr) => done({ code: err ? Number(err.code ?? 1) : 0, out: `${stdout}${stderr}` }),
    );
  });
}

describe('npm run stripe:sync in production', () => {
  let db: Awaited<ReturnType<typeof openTestDatabase>>;
  let emulator: StripeEmulator;

  beforeAll(async () => {
    [db, emulator] = await Promise.all([openTestDatabase('sqlite'), startStripeEmulator({ port: 0 })]);
  });
  afterAll(async () => {
    await emulator?.stop();
    await db?.close();
  });

  it('runs with a Stripe key and a database only', async () => {
    const { code, out } = await runSync({
      NODE_ENV: 'production',
      DATABASE_URL: db.url,
      STRIPE_SECRET_KEY: 'sk_test_operator',
      STRIPE_API_BASE: emulator.url,
    });
    expect({ code, out }).toEqual({ code: 0, out: expect.stringContaining('would be made') });
  }, 90_000);

  it('refuses to run without a Stripe key, saying so', async () => {
    const { code, out } = await runSync({ NODE_ENV: 'production', DATABASE_URL: db.url });
    expect(code).toBe(1);
    expect(out).toContain('STRIPE_SECRET_KEY: is required');
    expect(out).not.toContain('OIDC_AUDIENCE');
  }, 90_000);
});
