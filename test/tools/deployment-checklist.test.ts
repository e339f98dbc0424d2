import {
  deploymentChecklist,
  type DeploymentEnv,
  type DeploymentMachine,
} from '../../services/setup/deployment-checklist';

/** A production deployment that does everything the production checklist (docs/security.md) asks. */
const SAFE: DeploymentEnv = {
  NODE_ENV: 'production',
  OIDC_ISSUER: 'https://sso.example.com/realms/billing',
  OIDC_AUDIENCE: 'billing-engine',
  TEMPORAL_ADDRESS: 'temporal.internal:7233',
  TEMPORAL_TLS_SERVER_CA_CERT_PATH: '/run/secrets/temporal-ca.pem',
  TEMPORAL_TLS_CLIENT_CERT_PATH: '/run/secrets/engine.pem',
  TEMPORAL_TLS_CLIENT_KEY_PATH: '/run/secrets/engine.key',
  METRICS_TOKEN: 'a-scrape-token-of-32-characters!',
  PUBLIC_BASE_URL: 'https://billing.example.com',
  STRIPE_SECRET_KEY: 'sk_live_x',
  STRIPE_WEBHOOK_SECRET: 'whsec_x',
};

function itemOf(env: DeploymentEnv, name: string, machine?: DeploymentMachine) {
  const item = deploymentChecklist(env, machine).find((c) => c.name === name);
  if (!item) throw new Error(`no item ${name}`);
  return item;
}

function statusOf(env: DeploymentEnv, name: string, machine?: DeploymentMachine) {
  return itemOf(env, name, machine).status;
}

/** A machine on which `port` listens on these addresses (what /proc/net/tcp and tcp6 would say). */
const listeningOn = (port: number, addresses: string[]): DeploymentMachine => ({
  listeningAddresses: (p) => (p === port ? addresses : []),
});

describe('the deployment checklist of npm run verify', () => {
  it('passes every item of a deployment that follows the production checklist', () => {
    const failing = deploymentChecklist(SAFE).filter((c) => c.status !== 'pass');
    expect(failing).toEqual([]);
  });

  // Each row: what an operator gets wrong, and the item that must catch it in production.
  it.each<[string, DeploymentEnv, string]>([
    ['no identity provider', { OIDC_ISSUER: undefined }, 'identity provider'],
    [
      'an identity provider over plain http',
      { OIDC_ISSUER: 'http://sso.example.com/realms/b' },
      'identity provider',
    ],
    ['no audience', { OIDC_AUDIENCE: '' }, 'audience'],
    ['the development sign-in left on', { DEV_SIGN_IN: 'true' }, 'development sign-in'],
    [
      'a remote Temporal in plaintext',
      { TEMPORAL_TLS_SERVER_CA_CERT_PATH: undefined, TEMPORAL_TLS_CLIENT_CERT_PATH: undefined },
      'Temporal connection',
    ],
    [
      'a remote Temporal named by IPv6 in plaintext',
      {
        TEMPORAL_ADDRESS: '[2001:db8::1]:7233',
        TEMPORAL_TLS_SERVER_CA_CERT_PATH: undefined,
        TEMPORAL_TLS_CLIENT_CERT_PATH: undefined,
      },
      'Temporal connection',
    ],
    ['metrics without a token on the API port', { METRICS_TOKEN: undefined }, 'metrics'],
    [
      'metrics on their own port on every interface without a token',
      { METRICS_TOKEN: undefined, METRICS_PORT: '9100', METRICS_HOST: '0.0.0.0' },
      'metrics',
    ],
    ['no public address', { PUBLIC_BASE_URL: undefined }, 'public address'],
    ['a public address over http', { PUBLIC_BASE_URL: 'http://billing.example.com' }, 'public address'],
    [
      'an http return origin',
      { RETURN_URL_ORIGINS: 'https://app.example.com,http://shop.example.com' },
      'return URLs',
    ],
    [
      'a Stripe key without a webhook secret',
      { STRIPE_WEBHOOK_SECRET: undefined },
      'Stripe event signatures',
    ],
    [
      'outgoing webhooks let into private networks',
      { WEBHOOK_ALLOW_PRIVATE_URLS: 'true' },
      'outgoing webhooks',
    ],
  ])('fails a production deployment with %s', (_what, change, name) => {
    expect(statusOf({ ...SAFE, ...change }, name)).toBe('fail');
  });

  it('treats an unset NODE_ENV as production, as the engine does', () => {
    expect(statusOf({ ...SAFE, NODE_ENV: undefined }, 'environment')).toBe('pass');
    expect(statusOf({ ...SAFE, NODE_ENV: undefined, OIDC_AUDIENCE: undefined }, 'audience')).toBe('fail');
  });

  it('only warns outside production, where development runs on loopback', () => {
    const dev = deploymentChecklist({ NODE_ENV: 'development', DEV_SIGN_IN: 'true' });
    expect(dev.filter((c) => c.status === 'fail')).toEqual([]);
    expect(dev.find((c) => c.name === 'development sign-in')?.status).toBe('warn');
    expect(dev.find((c) => c.name === 'environment')?.status).toBe('warn');
  });

  it.each(['127.0.0.1:7233', 'localhost:7233', '[::1]:7233', '127.8.9.10:7233'])(
    'accepts a plaintext Temporal on loopback (%s)',
    (address) => {
      const env: DeploymentEnv = { ...SAFE, TEMPORAL_ADDRESS: address };
      delete env.TEMPORAL_TLS_SERVER_CA_CERT_PATH;
      delete env.TEMPORAL_TLS_CLIENT_CERT_PATH;
      expect(statusOf(env, 'Temporal connection')).toBe('pass');
    },
  );

  it.each(['127.0.0.1.evil.com:7233', 'localhost.evil.com:7233', '1270.0.0.1:7233'])(
    'does not take a look-alike of loopback for loopback (%s)',
    (address) => {
      const env: DeploymentEnv = { ...SAFE, TEMPORAL_ADDRESS: address };
      delete env.TEMPORAL_TLS_SERVER_CA_CERT_PATH;
      delete env.TEMPORAL_TLS_CLIENT_CERT_PATH;
      expect(statusOf(env, 'Temporal connection')).toBe('fail');
    },
  );

  it('accepts Temporal Cloud with an API key', () => {
    const env: DeploymentEnv = {
      ...SAFE,
      TEMPORAL_ADDRESS: 'billing.a1b2c.tmprl.cloud:7233',
      TEMPORAL_API_KEY: 'key',
    };
    delete env.TEMPORAL_TLS_SERVER_CA_CERT_PATH;
    delete env.TEMPORAL_TLS_CLIENT_CERT_PATH;
    expect(statusOf(env, 'Temporal connection')).toBe('pass');
  });

  it('accepts metrics without a token when they listen on loopback only', () => {
    const env = { ...SAFE, METRICS_TOKEN: undefined, METRICS_PORT: '9100' };
    expect(statusOf(env, 'metrics')).toBe('pass');
  });

  it('asks an operator who trusts proxy headers to check the proxy by hand', () => {
    expect(statusOf({ ...SAFE, TRUST_PROXY: '1' }, 'proxy headers')).toBe('manual');
    expect(statusOf(SAFE, 'proxy headers')).toBe('pass');
  });

  // A plaintext address on loopback is safe only if what serves it is on loopback too: compose's default
  // (http://localhost:8080) with the balancer published on every interface sent tokens in the clear.
  describe('a plaintext PUBLIC_BASE_URL on loopback', () => {
    const plain = { ...SAFE, PUBLIC_BASE_URL: 'http://localhost:8080' };

    it.each([['0.0.0.0'], ['::'], ['192.0.2.10'], ['127.0.0.1', '::']])(
      'fails when its port listens beyond loopback (%s)',
      (...addresses) => {
        const item = itemOf(plain, 'public address', listeningOn(8080, addresses));
        expect(item.status).toBe('fail');
        expect(item.detail).toContain('PUBLIC_BASE_URL');
        expect(item.detail).toContain('http://localhost:8080');
        expect(item.detail).toContain(addresses.find((a) => a !== '127.0.0.1'));
        expect(item.fix).toMatch(/https/);
      },
    );

    it('fails when nothing on this machine is seen listening on its port, since then no one can say', () => {
      expect(statusOf(plain, 'public address', listeningOn(8080, []))).toBe('fail');
      expect(statusOf(plain, 'public address')).toBe('fail');
      expect(itemOf(plain, 'public address').detail).toContain('PUBLIC_BASE_URL');
    });

    it('passes when its port listens on loopback only, and reads the default port of http', () => {
      expect(statusOf(plain, 'public address', listeningOn(8080, ['127.0.0.1', '::1']))).toBe('pass');
      const noPort = { ...SAFE, PUBLIC_BASE_URL: 'http://127.0.0.1' };
      expect(statusOf(noPort, 'public address', listeningOn(80, ['127.0.0.1']))).toBe('pass');
      expect(statusOf(noPort, 'public address', listeningOn(80, ['0.0.0.0']))).toBe('fail');
    });

    it('only warns outside production', () => {
      const dev = { ...plain, NODE_ENV: 'development' };
      expect(statusOf(dev, 'public address', listeningOn(8080, ['::']))).toBe('warn');
    });
  });

  it('names WEBHOOK_ALLOW_PRIVATE_URLS, and only warns about it outside production', () => {
    const item = itemOf({ ...SAFE, WEBHOOK_ALLOW_PRIVATE_URLS: 'true' }, 'outgoing webhooks');
    expect(item.detail).toContain('WEBHOOK_ALLOW_PRIVATE_URLS=true');
    expect(item.fix).toContain('WEBHOOK_ALLOW_PRIVATE_URLS');
    expect(statusOf({ ...SAFE, WEBHOOK_ALLOW_PRIVATE_URLS: 'false' }, 'outgoing webhooks')).toBe('pass');
    expect(
      statusOf({ ...SAFE, NODE_ENV: 'test', WEBHOOK_ALLOW_PRIVATE_URLS: 'true' }, 'outgoing webhooks'),
    ).toBe('warn');
  });

  it('warns, without failing, when realm roles are let in under a prefix', () => {
    expect(statusOf({ ...SAFE, OIDC_REALM_ROLE_PREFIX: 'billing-' }, 'roles')).toBe('warn');
  });
});
