import type { MikroORM } from '@mikro-orm/core';
import type Stripe from 'stripe';
import { USAGE_METER_EVENT } from '../../integrations/stripe/catalog-sync';
import { SUBSCRIPTION_ATTRIBUTES } from '../../integrations/keycloak/attributes';
import { KeycloakSession } from '../../integrations/keycloak/session';
import type { KeycloakSettings } from '../../integrations/keycloak/settings';
import { lagoBaseUrl, type LagoSettings } from '../../integrations/lago/client';
import { Plan } from '../../db/entities';
import { syncCatalogToStripe } from './sync-catalog-to-stripe';
import { deploymentChecklist, type DeploymentEnv, type DeploymentMachine } from './deployment-checklist';
import type { CheckResult, CheckStatus } from './check-result';
import { STRIPE_EVENTS_ACTED_ON } from '../stripe-events/subscribed-events';

/** The engine's Stripe event routes (`/billing/webhook`, a common `stripe listen` target, is an alias of the first). */
export const STRIPE_EVENT_PATHS = ['/api/v1/billing/webhooks/stripe', '/api/v1/billing/webhook'] as const;

/** Events the subscription workflow cannot do without: a missing one leaves the mirror behind Stripe. */
export const REQUIRED_STRIPE_EVENTS = [
  'checkout.session.completed',
  'customer.subscription.created',
  'customer.subscription.updated',
  'customer.subscription.deleted',
  'invoice.paid',
  'invoice.payment_failed',
] as const;

/**
 * Events the engine acts on when they come (cards, confirmations, invoice copies, the charge mirror), but
 * can live without.
 */
export const RECOMMENDED_STRIPE_EVENTS = [
  'invoice.payment_action_required',
  'invoice.created',
  'invoice.finalized',
  'payment_method.attached',
  'payment_method.detached',
  // The charge, dispute and credit note mirror (admin charge list, refunds, revenue figures).
  'charge.succeeded',
  'charge.failed',
  'charge.refunded',
  'charge.dispute.created',
  'charge.dispute.closed',
  'credit_note.created',
  'credit_note.voided',
] as const;

export interface VerifyInput {
  orm: MikroORM;
  /** Null when neither STRIPE_SECRET_KEY nor STRIPE_API_BASE is set. */
  stripe: Stripe | null;
  stripeSecretKey?: string;
  /** Set when the engine talks to an emulator or stripe-mock instead of Stripe. */
  stripeApiBase?: string;
  stripeWebhookSecret?: string;
  /** Where Stripe should send its events; endpoints elsewhere are reported, not trusted. */
  publicBaseUrl?: string;
  keycloak: KeycloakSettings | null;
  lago: LagoSettings | null;
  /** Per network call; a hung system fails its item instead of hanging the run. */
  timeoutMs?: number;
  /** The process environment, for the deployment items (see deployment-checklist.ts). */
  env?: DeploymentEnv;
  /** What the deployment items may observe of this machine (what listens where). */
  machine?: DeploymentMachine;
}

export interface VerifyReport {
  ok: boolean;
  checks: CheckResult[];
}

const messageOf = (err: unknown) => (err instanceof Error ? err.message : String(err)).split('\n')[0] ?? '';

function keyMode(key: string | undefined): string {
  if (!key) return 'the emulator key';
  const mode = /^(sk|rk)_live_/.test(key) ? 'live' : /^(sk|rk)_test_/.test(key) ? 'test' : 'unknown';
  return `a ${mode} mode ${key.startsWith('rk_') ? 'restricted' : 'secret'} key`;
}

async function checkStripeKey(input: VerifyInput, stripe: Stripe): Promise<CheckResult> {
  const where = input.stripeApiBase ? ` at ${input.stripeApiBase} (not Stripe itself)` : '';
  try {
    const account = await stripe.accounts.retrieve();
    const name = account.settings?.dashboard?.display_name ?? account.business_profile?.name ?? null;
    return {
      system: 'Stripe',
      name: 'API key',
      status: 'pass',
      detail: `${keyMode(input.stripeSecretKey)} of account ${account.id}${name ? ` (${name})` : ''}${where}`,
    };
  } catch (err) {
    const e = err as { type?: string; statusCode?: number };
    // A restricted key may lack the account read and still do everything the engine needs.
    if (e.type === 'StripePermissionError') {
      return {
        system: 'Stripe',
        name: 'API key',
        status: 'warn',
        detail: `${keyMode(input.stripeSecretKey)}${where}; it may not read the account, so which account is unknown`,
      };
    }
    const refused = e.type === 'StripeAuthenticationError' || e.statusCode === 401;
    return {
      system: 'Stripe',
      name: 'API key',
      status: 'fail',
      detail: refused
        ? `Stripe refused ${keyMode(input.stripeSecretKey)}${where}: ${messageOf(err)}`
        : `Stripe could not be reached${where}: ${messageOf(err)}`,
      fix: refused
        ? 'set STRIPE_SECRET_KEY to a secret key from Dashboard › Developers › API keys'
        : 'check the network path to Stripe (or STRIPE_API_BASE)',
    };
  }
}

/** A dry run of `npm run stripe:sync`: whatever it would create or change is what is missing. */
async function checkCatalog(input: VerifyInput, stripe: Stripe): Promise<CheckResult[]> {
  let steps;
  try {
    ({ steps } = await syncCatalogToStripe({ stripe, orm: input.orm }, { dryRun: true }));
  } catch (err) {
    return [
      {
        system: 'Stripe',
        name: 'plan catalog',
        status: 'fail',
        detail: `could not compare the catalog with Stripe: ${messageOf(err)}`,
      },
    ];
  }
  const todo = steps.filter((s) => s.action !== 'keep');
  const meterTodo = todo.filter((s) => s.what.startsWith('meter '));
  const catalogTodo = todo.filter((s) => !s.what.startsWith('meter '));
  const plans = await input.orm.em.fork().count(Plan, { status: 'active' });
  const sync = 'run `npm run stripe:sync` with this configuration';
  const list = (items: typeof todo) =>
    items
      .slice(0, 8)
      .map((s) => `${s.action} ${s.what}`)
      .join('; ') + (items.length > 8 ? `; and ${items.length - 8} more` : '');
  return [
    meterTodo.length
      ? {
          system: 'Stripe',
          name: 'usage meter',
          status: 'fail',
          detail: `no meter for the event ${USAGE_METER_EVENT}: overage cannot be billed`,
          fix: sync,
        }
      : {
          system: 'Stripe',
          name: 'usage meter',
          status: 'pass',
          detail: `meter ${USAGE_METER_EVENT} exists`,
        },
    catalogTodo.length
      ? {
          system: 'Stripe',
          name: 'plan catalog',
          status: 'fail',
          detail: `${catalogTodo.length} item(s) not synced: ${list(catalogTodo)}`,
          fix: sync,
        }
      : {
          system: 'Stripe',
          name: 'plan catalog',
          status: 'pass',
          detail: `${plans} current plan(s): every product, price and lookup key exists and the database knows their ids`,
        },
  ];
}

function pathOf(url: string): string | null {
  try {
    return new URL(url).pathname.replace(/\/+$/, '');
  } catch {
    return null;
  }
}

async function checkStripeEventEndpoint(input: VerifyInput, stripe: Stripe): Promise<CheckResult[]> {
  const out: CheckResult[] = [];
  const create = `add an endpoint (Dashboard › Developers › Webhooks) at ${
    input.publicBaseUrl ? input.publicBaseUrl.replace(/\/+$/, '') : '<your public address>'
  }${STRIPE_EVENT_PATHS[0]} with the events ${REQUIRED_STRIPE_EVENTS.join(', ')}`;
  let endpoints: Stripe.WebhookEndpoint[];
  try {
    endpoints = (await stripe.webhookEndpoints.list({ limit: 100 })).data;
  } catch (err) {
    return [
      {
        system: 'Stripe',
        name: 'webhook endpoint',
        status: 'fail',
        detail: `could not list webhook endpoints: ${messageOf(err)}`,
      },
    ];
  }
  const ours = endpoints.filter((e) =>
    (STRIPE_EVENT_PATHS as readonly string[]).includes(pathOf(e.url) ?? ''),
  );
  const origin = input.publicBaseUrl ? new URL(input.publicBaseUrl).origin : null;
  const here = origin ? ours.filter((e) => new URL(e.url).origin === origin) : ours;
  const enabled = here.filter((e) => e.status === 'enabled');
  if (enabled.length === 0) {
    const elsewhere = ours.length && origin ? ` (${ours.map((e) => e.url).join(', ')} point elsewhere)` : '';
    const disabled = here.length ? ` (${here.map((e) => e.id).join(', ')} disabled)` : '';
    out.push({
      system: 'Stripe',
      name: 'webhook endpoint',
      status: 'fail',
      detail: `no enabled endpoint delivers to ${origin ?? 'this engine'}${STRIPE_EVENT_PATHS[0]}${elsewhere}${disabled}`,
      fix: create,
    });
  } else {
    const covers = (e: Stripe.WebhookEndpoint, type: string) =>
      e.enabled_events.includes('*') || e.enabled_events.includes(type);
    const missing = (e: Stripe.WebhookEndpoint, types: readonly string[]) =>
      types.filter((t) => !covers(e, t));
    const best = [...enabled].sort(
      (a, b) => missing(a, REQUIRED_STRIPE_EVENTS).length - missing(b, REQUIRED_STRIPE_EVENTS).length,
    )[0] as Stripe.WebhookEndpoint;
    const lacking = missing(best, REQUIRED_STRIPE_EVENTS);
    out.push(
      lacking.length
        ? {
            system: 'Stripe',
            name: 'webhook events',
            status: 'fail',
            detail: `endpoint ${best.id} (${best.url}) does not send ${lacking.join(', ')}`,
            fix: `add those events to ${best.id} in Dashboard › Developers › Webhooks`,
          }
        : {
            system: 'Stripe',
            name: 'webhook endpoint',
            status: 'pass',
            detail: `${best.id} delivers every needed event to ${best.url}`,
          },
    );
    const optional = missing(best, RECOMMENDED_STRIPE_EVENTS);
    if (optional.length) {
      out.push({
        system: 'Stripe',
        name: 'webhook events (recommended)',
        status: 'warn',
        detail: `${best.id} does not send ${optional.join(', ')}: cards and payment confirmations reach the engine only at the next subscription event`,
        fix: `add those events to ${best.id}`,
      });
    }
    if (best.enabled_events.includes('*')) {
      out.push({
        system: 'Stripe',
        name: 'webhook events (all)',
        status: 'warn',
        detail: `${best.id} takes every event: the engine acts on ${STRIPE_EVENTS_ACTED_ON.length} types, and each other event (a renewal's payment intents and invoice.payment_succeeded among them) costs a request, a row and a mark for nothing; a renewal is 9 events instead of 5`,
        fix: `subscribe ${best.id} to the events the engine acts on (docs/stripe.md, STRIPE_EVENTS_ACTED_ON)`,
      });
    }
    if (enabled.length > 1) {
      out.push({
        system: 'Stripe',
        name: 'webhook endpoints',
        status: 'warn',
        detail: `${enabled.length} endpoints deliver to this engine (${enabled.map((e) => e.id).join(', ')}); each signs with its own secret and only one can match STRIPE_WEBHOOK_SECRET`,
        fix: 'keep one endpoint per engine address',
      });
    }
  }
  out.push(checkStripeSigningSecret(input));
  return out;
}

/**
 * Stripe shows an endpoint's signing secret once, when it is created, and its API never returns it again,
 * so the value cannot be compared here; only its presence and form can.
 */
function checkStripeSigningSecret(input: VerifyInput): CheckResult {
  const secret = input.stripeWebhookSecret;
  if (!secret) {
    return {
      system: 'Stripe',
      name: 'webhook secret',
      status: 'fail',
      detail: 'STRIPE_WEBHOOK_SECRET is not set: every webhook is refused (503 webhooks_not_configured)',
      fix: "set it to the endpoint's signing secret (Dashboard › Developers › Webhooks › the endpoint › Reveal)",
    };
  }
  if (!/^whsec_[A-Za-z0-9+/=_-]{16,}$/.test(secret)) {
    return {
      system: 'Stripe',
      name: 'webhook secret',
      status: 'fail',
      detail: 'STRIPE_WEBHOOK_SECRET does not look like a signing secret (whsec_ followed by the secret)',
      fix: "copy the endpoint's signing secret again, whole",
    };
  }
  return {
    system: 'Stripe',
    name: 'webhook secret matches',
    status: 'manual',
    detail:
      "STRIPE_WEBHOOK_SECRET is set and well formed; Stripe's API never returns an existing endpoint's secret, so whether it is this endpoint's cannot be checked from here",
    fix: 'send a test event (Dashboard › Webhooks › Send test event, or `stripe trigger customer.created`): a 2xx means it matches, 400 invalid_signature means it does not',
  };
}

async function checkKeycloak(settings: KeycloakSettings): Promise<CheckResult[]> {
  const session = new KeycloakSession(settings);
  let token: string;
  try {
    token = await session.token.get();
  } catch (err) {
    const status = (err as { status?: number }).status;
    return [
      {
        system: 'Keycloak',
        name: 'client credentials',
        status: 'fail',
        detail:
          status === undefined
            ? `Keycloak could not be reached at ${settings.url}: ${messageOf(err)}`
            : `Keycloak refused the client ${settings.clientId} in realm ${settings.realm}: ${messageOf(err)}`,
        fix:
          status === undefined
            ? 'check KEYCLOAK_URL (the server, without /realms/…)'
            : 'check KEYCLOAK_REALM, KEYCLOAK_CLIENT_ID and KEYCLOAK_CLIENT_SECRET, and that the client is confidential with service accounts on',
      },
    ];
  }
  const out: CheckResult[] = [
    {
      system: 'Keycloak',
      name: 'client credentials',
      status: 'pass',
      detail: `client ${settings.clientId} signs in to realm ${settings.realm} at ${settings.url}`,
    },
  ];
  // Keycloak puts the service account's effective roles (composites expanded) in its access token.
  let roles: string[] = [];
  let subject: string | undefined;
  try {
    const payload = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8')) as {
      sub?: string;
      resource_access?: Record<string, { roles?: string[] }>;
    };
    roles = payload.resource_access?.['realm-management']?.roles ?? [];
    subject = payload.sub;
  } catch {
    roles = [];
  }
  const lacking = ['view-users', 'manage-users'].filter((r) => !roles.includes(r));
  // Holding neither role, the account may still reach users through the realm's fine-grained admin
  // permissions (docs/operations.md, the cluster's realm): it may view itself if it may view users.
  const permitted =
    lacking.length === 2 && subject !== undefined && (await mayViewUser(settings, token, subject));
  out.push(
    permitted
      ? {
          system: 'Keycloak',
          name: 'client permissions',
          status: 'pass',
          detail:
            "the service account holds no realm-management user role and may view users through the realm's admin permissions (whether it may also manage them shows at the first sync)",
        }
      : lacking.length
        ? {
            system: 'Keycloak',
            name: 'client permissions',
            status: 'fail',
            detail: `the service account lacks realm-management ${lacking.join(' and ')}: it cannot find users or write their attributes`,
            fix: `assign ${lacking.join(', ')} (client realm-management) under the client's Service account roles, or grant it view and manage of users through the realm's admin permissions (docs/operations.md)`,
          }
        : {
            system: 'Keycloak',
            name: 'client permissions',
            status: 'pass',
            detail: 'the service account may view and manage users',
          },
  );
  try {
    const profile = await session.call((admin) => admin.users.getProfile({ realm: settings.realm }));
    const declared = new Set((profile.attributes ?? []).map((a) => a.name));
    const undeclared = SUBSCRIPTION_ATTRIBUTES.filter((a) => !declared.has(a));
    out.push(
      undeclared.length
        ? {
            system: 'Keycloak',
            name: 'user profile',
            status: 'fail',
            detail: `the realm's user profile does not declare ${undeclared.join(', ')}: Keycloak would drop them`,
            fix: 'run `npm run keycloak:setup` (needs manage-realm for that run)',
          }
        : {
            system: 'Keycloak',
            name: 'user profile',
            status: 'pass',
            detail: 'the six subscription attributes are declared',
          },
    );
  } catch (err) {
    out.push({
      system: 'Keycloak',
      name: 'user profile',
      status: 'warn',
      detail: `could not read the realm's user profile: ${messageOf(err)}`,
      fix: 'run `npm run keycloak:setup` once; it declares the attributes and says if they already are',
    });
  }
  return out;
}

/** Whether this token may read the user `id` through Keycloak's admin API. */
async function mayViewUser(settings: KeycloakSettings, token: string, id: string): Promise<boolean> {
  try {
    const res = await fetch(
      `${settings.url}/admin/realms/${encodeURIComponent(settings.realm)}/users/${encodeURIComponent(id)}`,
      {
        headers: { authorization: `Bearer ${token}` },
        signal: AbortSignal.timeout(settings.timeoutMs ?? 10_000),
      },
    );
    await res.body?.cancel();
    return res.ok;
  } catch {
    return false;
  }
}

async function checkLago(input: VerifyInput, settings: LagoSettings): Promise<CheckResult[]> {
  const base = lagoBaseUrl(settings.apiUrl);
  const codes = (
    await input.orm.em
      .fork()
      .find(Plan, { status: 'active', isCurrent: true }, { orderBy: { sortOrder: 'asc' } })
  ).map((p) => p.code);
  const get = (code: string) =>
    fetch(`${base}/plans/${encodeURIComponent(code)}`, {
      headers: { authorization: `Bearer ${settings.apiKey}` },
      signal: AbortSignal.timeout(input.timeoutMs ?? 10_000),
    });
  const missing: string[] = [];
  for (const code of codes) {
    let res: Response;
    try {
      res = await get(code);
    } catch (err) {
      return [
        {
          system: 'Lago',
          name: 'API key',
          status: 'fail',
          detail: `Lago could not be reached at ${base}: ${messageOf(err)}`,
          fix: "check LAGO_API_URL (Lago's API host)",
        },
      ];
    }
    await res.body?.cancel();
    if (res.status === 401) {
      return [
        {
          system: 'Lago',
          name: 'API key',
          status: 'fail',
          detail: `Lago at ${base} refused LAGO_API_KEY (401)`,
          fix: 'copy the API key again from Lago › Developers › API keys',
        },
      ];
    }
    if (res.status === 404) missing.push(code);
    else if (!res.ok) {
      return [
        {
          system: 'Lago',
          name: 'API key',
          status: 'fail',
          detail: `Lago answered ${res.status} for plan ${code}`,
        },
      ];
    }
  }
  return [
    { system: 'Lago', name: 'API key', status: 'pass', detail: `Lago at ${base} accepts LAGO_API_KEY` },
    missing.length
      ? {
          system: 'Lago',
          name: 'plans',
          status: 'fail',
          detail: `no Lago plan with the code ${missing.join(', ')}: subscriptions on these tiers cannot be created in Lago`,
          fix: 'create a plan in Lago for each, with the tier as its code',
        }
      : {
          system: 'Lago',
          name: 'plans',
          status: 'pass',
          detail: `a Lago plan exists for every tier (${codes.join(', ')})`,
        },
  ];
}

/**
 * verify_stripe_integration: checks the deployment's configuration (given the environment), the Stripe
 * key and account, the synced catalog and meter, Stripe's webhook endpoint and signing secret, and Keycloak and Lago
 * when they are configured. Read-only everywhere.
 */
export async function verifyIntegration(input: VerifyInput): Promise<VerifyReport> {
  const checks: CheckResult[] = input.env ? deploymentChecklist(input.env, input.machine) : [];
  if (!input.stripe) {
    checks.push({
      system: 'Stripe',
      name: 'API key',
      status: 'fail',
      detail: 'STRIPE_SECRET_KEY is not set',
      fix: 'set STRIPE_SECRET_KEY (sk_test_… or sk_live_…) from Dashboard › Developers › API keys',
    });
  } else {
    const key = await checkStripeKey(input, input.stripe);
    checks.push(key);
    if (key.status !== 'fail') {
      checks.push(...(await checkCatalog(input, input.stripe)));
      checks.push(...(await checkStripeEventEndpoint(input, input.stripe)));
    }
  }
  if (input.keycloak)
    checks.push(...(await checkKeycloak({ timeoutMs: input.timeoutMs, ...input.keycloak })));
  else
    checks.push({
      system: 'Keycloak',
      name: 'user-attribute sync',
      status: 'skip',
      detail: 'KEYCLOAK_* not set: the sync is off',
    });
  if (input.lago) checks.push(...(await checkLago(input, input.lago)));
  else
    checks.push({
      system: 'Lago',
      name: 'usage sync',
      status: 'skip',
      detail: 'LAGO_* not set: the sync is off',
    });
  return { ok: checks.every((c) => c.status !== 'fail'), checks };
}

const MARK: Record<CheckStatus, string> = { pass: '✓', fail: '✗', warn: '!', skip: '-', manual: '?' };

/** The checklist as the CLI prints it: one line per item, the fix under anything not passed. */
export function formatChecklist(report: VerifyReport): string {
  const lines: string[] = [];
  let system = '';
  for (const c of report.checks) {
    if (c.system !== system) {
      system = c.system;
      lines.push(system);
    }
    lines.push(`  ${MARK[c.status]} ${c.name}: ${c.detail}`);
    if (c.fix && c.status !== 'pass' && c.status !== 'skip') lines.push(`      → ${c.fix}`);
  }
  const failed = report.checks.filter((c) => c.status === 'fail').length;
  lines.push(
    failed
      ? `${failed} check(s) failed`
      : 'every check passed (✓ pass, ! worth a look, ? check by hand, - off)',
  );
  return lines.join('\n');
}
