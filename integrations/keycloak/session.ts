import KeycloakAdminClient from '@keycloak/keycloak-admin-client';
import { KeycloakTokenError, classifyKeycloakError, isUnauthorized } from './errors';
import type { KeycloakSettings } from './settings';

const DEFAULT_TIMEOUT_MS = 10_000;
// Renew this long before expiry, so a token never lapses between being handed out and being checked.
const EXPIRY_MARGIN_MS = 30_000;

interface CachedToken {
  value: string;
  renewAt: number;
}

/**
 * A client-credentials access token, reused until shortly before it expires. Concurrent activities share
 * one request for a new token instead of each asking for their own.
 */
export class ClientCredentialsToken {
  private cached: CachedToken | undefined;
  private pending: Promise<string> | undefined;

  constructor(
    private readonly settings: KeycloakSettings,
    private readonly now: () => number = Date.now,
  ) {}

  get(): Promise<string> {
    if (this.cached && this.now() < this.cached.renewAt) return Promise.resolve(this.cached.value);
    this.pending ??= this.fetchToken().finally(() => {
      this.pending = undefined;
    });
    return this.pending;
  }

  /** Forgets the token, e.g. after Keycloak rejected it. */
  invalidate(): void {
    this.cached = undefined;
  }

  private async fetchToken(): Promise<string> {
    const { url, realm, clientId, clientSecret } = this.settings;
    const started = this.now();
    const res = await fetch(`${url}/realms/${encodeURIComponent(realm)}/protocol/openid-connect/token`, {
      method: 'POST',
      body: new URLSearchParams({
        grant_type: 'client_credentials',
        client_id: clientId,
        client_secret: clientSecret,
      }),
      signal: AbortSignal.timeout(this.settings.timeoutMs ?? DEFAULT_TIMEOUT_MS),
    });
    const body = (await res.json().catch(() => ({}))) as Record<string, unknown>;
    if (!res.ok || typeof body.access_token !== 'string') {
      const reason = [body.error, body.error_description].filter(Boolean).join(': ') || res.statusText;
      throw new KeycloakTokenError(res.status, `token request for client ${clientId} failed: ${reason}`);
    }
    const lifetimeMs = (typeof body.expires_in === 'number' ? body.expires_in : 60) * 1000;
    this.cached = {
      value: body.access_token,
      // Short-lived tokens still get half their life.
      renewAt: started + lifetimeMs - Math.min(EXPIRY_MARGIN_MS, lifetimeMs / 2),
    };
    return body.access_token;
  }
}

/** The admin client for one realm, authenticated as the engine's service account. */
export class KeycloakSession {
  readonly token: ClientCredentialsToken;
  readonly admin: KeycloakAdminClient;

  constructor(readonly settings: KeycloakSettings) {
    this.token = new ClientCredentialsToken(settings);
    this.admin = new KeycloakAdminClient({
      baseUrl: settings.url,
      realmName: settings.realm,
      timeout: settings.timeoutMs ?? DEFAULT_TIMEOUT_MS,
    });
    this.admin.registerTokenProvider({ getAccessToken: () => this.token.get() });
  }

  /**
   * Runs admin calls and classifies their failure. A 401 is retried once with a fresh token, because a
   * cached token goes stale when Keycloak restarts or rotates keys; a second 401 means the client is wrong.
   */
  async call<T>(fn: (admin: KeycloakAdminClient) => Promise<T>): Promise<T> {
    try {
      try {
        return await fn(this.admin);
      } catch (err) {
        if (!isUnauthorized(err)) throw err;
        this.token.invalidate();
        return await fn(this.admin);
      }
    } catch (err) {
      return classifyKeycloakError(err);
    }
  }
}
