import { EntitySchema, type Opt } from '@mikro-orm/core';

/**
 * A Keycloak or Lago sync that failed for good and has not succeeded since, by system and by whom it was
 * for (the user's email for Keycloak, the subscription for Lago). The next successful sync removes it, so
 * the rows are the access that is stale right now: what an operator's alert counts.
 */
export class AccessSyncFailure {
  system!: 'keycloak' | 'lago';
  subject!: string;
  error!: string;
  failedAt: Opt<Date> = new Date();
}

export const AccessSyncFailureSchema = new EntitySchema<AccessSyncFailure>({
  class: AccessSyncFailure,
  tableName: 'access_sync_failures',
  properties: {
    system: { type: 'string', primary: true, length: 16 },
    subject: { type: 'string', primary: true, length: 255 },
    error: { type: 'text' },
    failedAt: { type: 'Date' },
  },
});
