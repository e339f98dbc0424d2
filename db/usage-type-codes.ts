import type { EntityManager } from '@mikro-orm/core';
import { sqlFor } from './raw-sql';

/** The usage types admins added, read on every report to tell a known type from a typo. */
export function addedUsageTypes(em: EntityManager): Promise<{ code: string }[]> {
  return sqlFor(em).read<{ code: string }>('select code from usage_types');
}
