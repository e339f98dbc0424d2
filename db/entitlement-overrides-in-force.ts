import type { EntityManager } from '@mikro-orm/core';
import { sqlFor } from './raw-sql';

/** An override row as stored: `change` is JSON (parsed by PostgreSQL's driver, text from SQLite). */
export interface OverrideRow {
  feature: string;
  change: unknown;
  expires_at: unknown;
  created_at: unknown;
}

/** A customer's overrides not removed by an admin, which change what their plan entitles them to. */
export function unremovedOverrides(em: EntityManager, customerId: string): Promise<OverrideRow[]> {
  return sqlFor(em).read<OverrideRow>(
    'select feature, change, expires_at, created_at from entitlement_overrides where customer_id = ? and removed_at is null',
    [customerId],
  );
}
