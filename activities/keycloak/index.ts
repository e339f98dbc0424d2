import type { MikroORM } from '@mikro-orm/core';
import type { Logger } from 'pino';
import type { KeycloakSettings } from '../../integrations/keycloak/settings';
import { KeycloakSession } from '../../integrations/keycloak/session';
import { type SyncKeycloakUserInput, type SyncKeycloakUserResult, syncUser } from './sync-user';

export type { SubscriptionAttributes } from '../../integrations/keycloak/attributes';
export type { SyncKeycloakUserInput, SyncKeycloakUserResult } from './sync-user';

/** What the Keycloak activities need; a subset of ActivityDeps. */
export interface KeycloakDeps {
  orm: MikroORM;
  logger: Logger;
  /** Null or absent when Keycloak is not configured: the sync is then skipped, not failed. */
  keycloak?: KeycloakSettings | null;
}

export function createKeycloakActivities(deps: KeycloakDeps) {
  // One session per worker, so the access token is shared by every activity run.
  const session = deps.keycloak ? new KeycloakSession(deps.keycloak) : null;
  return {
    /** Writes a user's subscription state into their Keycloak attributes; applying it twice is a no-op. */
    async syncKeycloakUser(input: SyncKeycloakUserInput): Promise<SyncKeycloakUserResult> {
      if (!session) return { userId: null, changed: false, skipped: 'keycloak_not_configured' };
      return syncUser(session, deps.orm, deps.logger, input);
    },
  };
}
