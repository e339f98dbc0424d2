import type { EntityManager } from '@mikro-orm/core';
import { sqlFor } from './raw-sql';

/**
 * Whether a Keycloak or Lago sync of this subject failed for good and has not succeeded since. A prepared
 * read, not the entity manager's count: every sign-up and renewal asks it after its syncs.
 */
export async function accessSyncFailureOpen(
  em: EntityManager,
  system: 'keycloak' | 'lago',
  subject: string,
): Promise<boolean> {
  const rows = await sqlFor(em).read(
    'select 1 as open from access_sync_failures where system = ? and subject = ?',
    [system, subject],
  );
  return rows.length > 0;
}
