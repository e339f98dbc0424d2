import type { CheckResult, CheckStatus } from './check-result';

/** The environment as the process sees it: the checklist reads names, not the parsed configuration. */
export type DeploymentEnv = Record<string, string | undefined>;

/** What the checklist may observe of the machine it runs on, beside the environment. */
export interface DeploymentMachine {
  /** The local addresses a TCP port listens on here; null (or absent) where that cannot be seen. */
  listeningAddresses?(port: number): string[] | null;
}

const set = (env: DeploymentEnv, name: string) => (env[name] ?? '') !== '';

function hostOf(address: string): string {
  // `host:port`, `[v6]:port` or a URL: only the host decides whether traffic leaves the machine.
  try {
    return new URL(address.includes('://') ? address : `grpc://${address}`).hostname.replace(/^\[|\]$/g, '');
  } catch {
    return address;
  }
}

function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127(\.\d{1,3}){3}$/.test(host);
}

/** A listening address that only this machine reaches: 127/8, ::1, or 127/8 mapped into IPv6. */
function loopbackAddress(address: string): boolean {
  return isLoopback(address.replace(/^::ffff:/i, ''));
}

/**
 * The public address item. Over https it is fine. In plaintext it is fine only on loopback and only if what
 * listens on its port here listens on loopback alone: `http://localhost:8080` served by a balancer published
 * on every interface carries tokens and sessions in the clear to anyone who reaches the machine.
 */
function publicAddress(env: DeploymentEnv, machine: DeploymentMachine): { ok: boolean; detail: string } {
  const value = env.PUBLIC_BASE_URL ?? '';
  if (value === '')
    return {
      ok: false,
      detail: 'PUBLIC_BASE_URL is not set: return pages follow the address each request was sent to',
    };
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return { ok: false, detail: `PUBLIC_BASE_URL=${value} is not a URL` };
  }
  if (url.protocol === 'https:') return { ok: true, detail: `customers come back to ${value}` };
  const host = url.hostname.replace(/^\[|\]$/g, '');
  if (!isLoopback(host))
    return {
      ok: false,
      detail: `PUBLIC_BASE_URL=${value} is plaintext on an address other machines reach: tokens and sessions cross the network in the clear`,
    };
  const port = Number(url.port || 80);
  const addresses = machine.listeningAddresses?.(port) ?? null;
  if (addresses === null || addresses.length === 0)
    return {
      ok: false,
      detail: `PUBLIC_BASE_URL=${value} is plaintext, and nothing is seen listening on port ${port} here, so whether it is published beyond loopback cannot be told`,
    };
  const beyond = addresses.filter((a) => !loopbackAddress(a));
  if (beyond.length > 0)
    return {
      ok: false,
      detail: `PUBLIC_BASE_URL=${value} is plaintext, but port ${port} listens on ${beyond.join(', ')}${beyond.some((a) => a === '0.0.0.0' || a === '::') ? ' (every interface)' : ''}: it is published beyond loopback without TLS`,
    };
  return {
    ok: true,
    detail: `customers come back to ${value}, in plaintext on loopback only (port ${port} listens on ${addresses.join(', ')})`,
  };
}

function httpsOrLoopback(url: string): boolean {
  try {
    const u = new URL(url);
    return u.protocol === 'https:' || isLoopback(u.hostname.replace(/^\[|\]$/g, ''));
  } catch {
    return false;
  }
}

/**
 * What `npm run verify` can tell about a deployment from its configuration alone: each item is a row of
 * the threat model (docs/security.md) that depends on how the engine is started, not on its code. Outside
 * production an item that would fail is only worth a look, since development runs on loopback.
 */
export function deploymentChecklist(env: DeploymentEnv, machine: DeploymentMachine = {}): CheckResult[] {
  // Unset means production: the engine fails closed, and so does its checklist.
  const production = (env.NODE_ENV ?? 'production') === 'production';
  const bad: CheckStatus = production ? 'fail' : 'warn';
  const item = (name: string, ok: boolean, detail: string, fix: string, otherwise: CheckStatus = bad) =>
    ({
      system: 'Deployment',
      name,
      status: ok ? 'pass' : otherwise,
      detail,
      ...(ok ? {} : { fix }),
    }) satisfies CheckResult;

  const temporalHost = hostOf(env.TEMPORAL_ADDRESS ?? '127.0.0.1:7233');
  const temporalSecured =
    env.TEMPORAL_TLS === 'true' ||
    set(env, 'TEMPORAL_API_KEY') ||
    set(env, 'TEMPORAL_TLS_CLIENT_CERT_PATH') ||
    set(env, 'TEMPORAL_TLS_SERVER_CA_CERT_PATH');
  const metricsOpen =
    !set(env, 'METRICS_TOKEN') && (!set(env, 'METRICS_PORT') || !isLoopback(env.METRICS_HOST ?? '127.0.0.1'));
  const returnOrigins = (env.RETURN_URL_ORIGINS ?? '').split(',').filter((o) => o.trim() !== '');
  const address = publicAddress(env, machine);

  return [
    item(
      'environment',
      production,
      production ? 'NODE_ENV is production' : `NODE_ENV=${env.NODE_ENV}: development fallbacks are on`,
      'leave NODE_ENV unset or set it to production',
    ),
    item(
      'identity provider',
      set(env, 'OIDC_ISSUER') && httpsOrLoopback(env.OIDC_ISSUER ?? ''),
      set(env, 'OIDC_ISSUER')
        ? `tokens are checked against ${env.OIDC_ISSUER}`
        : 'OIDC_ISSUER is not set: tokens are signed with a local development key',
      'set OIDC_ISSUER to the realm URL, over https',
    ),
    item(
      'audience',
      set(env, 'OIDC_AUDIENCE'),
      set(env, 'OIDC_AUDIENCE')
        ? `tokens must name ${env.OIDC_AUDIENCE}`
        : 'OIDC_AUDIENCE is not set: a token the realm issued for any client is accepted',
      'set OIDC_AUDIENCE and add an audience mapper to the clients that call the engine',
    ),
    item(
      'roles',
      !set(env, 'OIDC_REALM_ROLE_PREFIX'),
      set(env, 'OIDC_REALM_ROLE_PREFIX')
        ? `realm roles starting with "${env.OIDC_REALM_ROLE_PREFIX}" count beside the engine's client roles`
        : "only the engine's client roles count (OIDC_CLIENT_ID)",
      'make sure only billing operators can be granted realm roles with that prefix',
      'warn',
    ),
    item(
      'development sign-in',
      env.DEV_SIGN_IN !== 'true',
      env.DEV_SIGN_IN === 'true' ? 'DEV_SIGN_IN=true: anyone on loopback can mint a token' : 'off',
      'unset DEV_SIGN_IN',
    ),
    item(
      'Temporal connection',
      isLoopback(temporalHost) || temporalSecured,
      isLoopback(temporalHost)
        ? `Temporal at ${temporalHost}, on this machine`
        : temporalSecured
          ? `Temporal at ${temporalHost} over TLS${set(env, 'TEMPORAL_API_KEY') ? ' with an API key' : set(env, 'TEMPORAL_TLS_CLIENT_CERT_PATH') ? ' with a client certificate' : ''}`
          : `Temporal at ${temporalHost} in plaintext, unauthenticated: anyone who reaches it can signal and terminate workflows`,
      'set TEMPORAL_TLS_* (mTLS) or TEMPORAL_API_KEY, and publish the frontend only to the engine',
    ),
    item(
      'metrics',
      !metricsOpen,
      metricsOpen
        ? '/metrics answers without a token on a reachable address'
        : set(env, 'METRICS_TOKEN')
          ? 'scrapers must send METRICS_TOKEN'
          : `metrics only on ${env.METRICS_HOST ?? '127.0.0.1'}:${env.METRICS_PORT}`,
      'set METRICS_TOKEN, or METRICS_PORT on an address only Prometheus reaches',
    ),
    item(
      'public address',
      address.ok,
      address.detail,
      'set PUBLIC_BASE_URL to the https address customers reach (TLS at the balancer or in front of it); a plaintext one only on loopback, with the balancer published on 127.0.0.1 alone',
    ),
    item(
      'return URLs',
      returnOrigins.every(httpsOrLoopback),
      returnOrigins.length
        ? `Checkout and the portal may send customers to ${returnOrigins.join(', ')}`
        : "Checkout and the portal send customers only to PUBLIC_BASE_URL's origin",
      'list only https origins you own in RETURN_URL_ORIGINS',
    ),
    item(
      'Stripe event signatures',
      !set(env, 'STRIPE_SECRET_KEY') || set(env, 'STRIPE_WEBHOOK_SECRET'),
      set(env, 'STRIPE_WEBHOOK_SECRET')
        ? 'Stripe events are verified with STRIPE_WEBHOOK_SECRET'
        : set(env, 'STRIPE_SECRET_KEY')
          ? 'STRIPE_WEBHOOK_SECRET is not set: Stripe events cannot be verified'
          : 'no Stripe key: the local emulator',
      "set STRIPE_WEBHOOK_SECRET to the signing secret of the engine's webhook endpoint in the Stripe Dashboard",
    ),
    item(
      'outgoing webhooks',
      env.WEBHOOK_ALLOW_PRIVATE_URLS !== 'true',
      env.WEBHOOK_ALLOW_PRIVATE_URLS === 'true'
        ? "WEBHOOK_ALLOW_PRIVATE_URLS=true: an admin's endpoint may point at loopback, private and link-local addresses (the engine's own network, cloud metadata)"
        : 'endpoints on loopback, private and link-local addresses are refused',
      'unset WEBHOOK_ALLOW_PRIVATE_URLS; a receiver on your own network needs an address the engine may send to',
    ),
    item(
      'proxy headers',
      !set(env, 'TRUST_PROXY'),
      set(env, 'TRUST_PROXY')
        ? `X-Forwarded-* are trusted (TRUST_PROXY=${env.TRUST_PROXY})`
        : 'X-Forwarded-* are ignored: client addresses are the sockets’',
      'make sure only your proxy can reach the API port, and that it overwrites X-Forwarded-*',
      'manual',
    ),
  ];
}
