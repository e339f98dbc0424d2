import { api, ApiError, call, type AuthConfig } from './api/client';
import type { Session } from './auth';

/**
 * OpenID Connect authorization code flow with PKCE for a public client (no secret in the browser). The
 * tokens stay in memory; the refresh token renews the access token before it expires. What survives the
 * redirect to the identity provider (verifier, state, where to go next) waits in sessionStorage.
 */
const PENDING = 'billing.oidc-pending';

interface Discovery {
  authorization_endpoint: string;
  token_endpoint: string;
  end_session_endpoint?: string;
}

let discovery: Promise<Discovery> | null = null;

function discover(issuer: string): Promise<Discovery> {
  discovery ??= fetch(`${issuer.replace(/\/$/, '')}/.well-known/openid-configuration`).then(async (r) => {
    if (!r.ok)
      throw new ApiError(r.status, 'oidc_discovery_failed', 'The identity provider could not be reached');
    return (await r.json()) as Discovery;
  });
  return discovery;
}

function base64url(bytes: Uint8Array): string {
  return btoa(String.fromCharCode(...bytes))
    .replace(/\+/g, '-')
    .replace(/\//g, '_')
    .replace(/=+$/, '');
}

function randomString(): string {
  return base64url(crypto.getRandomValues(new Uint8Array(32)));
}

export const redirectUri = () => `${location.origin}/auth/callback`;

export async function startOidcSignIn(config: AuthConfig, next: string): Promise<void> {
  if (!config.issuer || !config.client_id)
    throw new ApiError(0, 'oidc_not_configured', 'Sign-in is not set up');
  const d = await discover(config.issuer);
  const verifier = randomString();
  const state = randomString();
  const challenge = base64url(
    new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier))),
  );
  sessionStorage.setItem(PENDING, JSON.stringify({ verifier, state, next }));
  const url = new URL(d.authorization_endpoint);
  url.search = new URLSearchParams({
    client_id: config.client_id,
    redirect_uri: redirectUri(),
    response_type: 'code',
    scope: 'openid email profile',
    state,
    code_challenge: challenge,
    code_challenge_method: 'S256',
  }).toString();
  location.assign(url.toString());
}

export interface OidcTokens {
  session: Session;
  refreshToken: string | null;
  idToken: string | null;
  expiresIn: number;
}

/**
 * Who the engine takes this token's holder for. The role shown (the console's links) is the one the
 * engine enforces, which only it can tell: which client's roles count, whether realm roles do, whether
 * the email is verified. A refusal (403 email_not_verified) fails the sign-in with the API's message.
 */
function whoAmI(token: string) {
  return call(api.GET('/api/v1/auth/me', { headers: { Authorization: `Bearer ${token}` } }));
}

async function tokenRequest(config: AuthConfig, form: Record<string, string>): Promise<OidcTokens> {
  const d = await discover(config.issuer!);
  const r = await fetch(d.token_endpoint, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ client_id: config.client_id!, ...form }),
  });
  const body = (await r.json().catch(() => ({}))) as {
    access_token?: string;
    refresh_token?: string;
    id_token?: string;
    expires_in?: number;
    error?: string;
    error_description?: string;
  };
  if (!r.ok || !body.access_token) {
    throw new ApiError(
      r.status,
      body.error ?? 'oidc_token_failed',
      body.error_description ?? 'Sign-in failed',
    );
  }
  const expiresIn = body.expires_in ?? 300;
  const me = await whoAmI(body.access_token);
  return {
    session: {
      token: body.access_token,
      email: me.email,
      role: me.role,
      expiresAt: Date.now() + expiresIn * 1000,
      kind: 'oidc',
    },
    refreshToken: body.refresh_token ?? null,
    idToken: body.id_token ?? null,
    expiresIn,
  };
}

/** Finishes the redirect back from the identity provider: checks the state, trades the code for tokens. */
export async function finishOidcSignIn(
  config: AuthConfig,
  query: URLSearchParams,
): Promise<OidcTokens & { next: string }> {
  const pending = JSON.parse(sessionStorage.getItem(PENDING) ?? 'null') as {
    verifier: string;
    state: string;
    next: string;
  } | null;
  sessionStorage.removeItem(PENDING);
  if (query.get('error')) {
    throw new ApiError(
      0,
      query.get('error') ?? 'oidc_error',
      query.get('error_description') ?? 'Sign-in was refused',
    );
  }
  if (!pending || pending.state !== query.get('state') || !query.get('code')) {
    throw new ApiError(
      0,
      'oidc_state_mismatch',
      'This sign-in link is stale or was not started here; sign in again',
    );
  }
  const tokens = await tokenRequest(config, {
    grant_type: 'authorization_code',
    code: query.get('code')!,
    redirect_uri: redirectUri(),
    code_verifier: pending.verifier,
  });
  return { ...tokens, next: pending.next };
}

export function refreshOidc(config: AuthConfig, refreshToken: string): Promise<OidcTokens> {
  return tokenRequest(config, { grant_type: 'refresh_token', refresh_token: refreshToken });
}

/** Ends the identity provider's session (RP-initiated logout) and comes back to the plans. */
export async function endOidcSession(config: AuthConfig, idTokenHint: string | null): Promise<void> {
  if (!config.issuer || !config.client_id) return;
  const d = await discover(config.issuer);
  if (!d.end_session_endpoint) return;
  const url = new URL(d.end_session_endpoint);
  url.search = new URLSearchParams({
    client_id: config.client_id,
    post_logout_redirect_uri: `${location.origin}/plans`,
    ...(idTokenHint ? { id_token_hint: idTokenHint } : {}),
  }).toString();
  location.assign(url.toString());
}
