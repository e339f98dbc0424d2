import type { EntityManager } from '@mikro-orm/core';
import { DEFAULT_DUNNING_POLICY, validateDunningPolicy, type DunningPolicy } from '../domain/dunning-policy';
import { EngineSetting } from './entities';

export const DUNNING_POLICY_KEY = 'dunning_policy';

/** The policy new dunning runs start with: the one an admin set, else the default. */
export async function readDunningPolicy(
  em: EntityManager,
): Promise<{ policy: DunningPolicy; updatedAt: Date | null; updatedBy: string | null }> {
  const row = await em.findOne(EngineSetting, { key: DUNNING_POLICY_KEY });
  const stored = row?.value as DunningPolicy | undefined;
  // A stored policy that no longer validates (rules tightened since) falls back to the default.
  if (!row || !stored || validateDunningPolicy(stored) !== null)
    return { policy: DEFAULT_DUNNING_POLICY, updatedAt: null, updatedBy: null };
  return { policy: stored, updatedAt: row.updatedAt, updatedBy: row.updatedBy };
}
