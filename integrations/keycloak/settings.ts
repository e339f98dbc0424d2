/** Where the user-attribute sync talks to: a confidential client whose service account may manage users. */
export interface KeycloakSettings {
  /** Base URL of the server, e.g. `https://sso.example.com` (no `/realms/...`). */
  url: string;
  realm: string;
  clientId: string;
  clientSecret: string;
  /** Per-request limit, so a hung server fails the attempt and Temporal retries instead of waiting. */
  timeoutMs?: number;
}

export interface KeycloakEnv {
  KEYCLOAK_URL?: string;
  KEYCLOAK_REALM?: string;
  KEYCLOAK_CLIENT_ID?: string;
  KEYCLOAK_CLIENT_SECRET?: string;
}

/** Keycloak is off unless all four variables are set; config validation rejects a partial set. */
export function keycloakSettingsFromEnv(env: KeycloakEnv): KeycloakSettings | null {
  const { KEYCLOAK_URL: url, KEYCLOAK_REALM: realm, KEYCLOAK_CLIENT_ID: clientId } = env;
  const clientSecret = env.KEYCLOAK_CLIENT_SECRET;
  if (!url || !realm || !clientId || !clientSecret) return null;
  return { url: url.replace(/\/+$/, ''), realm, clientId, clientSecret };
}
