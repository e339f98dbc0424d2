import type { EntityManager } from '@mikro-orm/core';
import { sqlFor } from './raw-sql';

/** Which providers a customer stored a BYOK key for, so report_usage knows whose BYOK events it may take. */
export function providersWithKeys(em: EntityManager, customerId: string): Promise<{ provider: string }[]> {
  return sqlFor(em).read<{ provider: string }>('select provider from provider_keys where customer_id = ?', [
    customerId,
  ]);
}
