import type { EntityManager } from '@mikro-orm/core';
import { EngineSetting } from '../../db/entities';
import { DUNNING_POLICY_KEY, readDunningPolicy } from '../../db/dunning-policy';
import { validateDunningPolicy, type DunningPolicy } from '../../domain/dunning-policy';
import { AppError } from '../../domain/errors';
import type { Identity } from '../../domain/identity';
import { recordAudit } from '../../db/audit';

/** The policy new dunning runs start with. */
export const currentDunningPolicy = readDunningPolicy;

/** Sets the policy for dunning runs that start from now on (running ones keep theirs); audited. */
export async function setDunningPolicy(em: EntityManager, actor: Identity, policy: DunningPolicy, now: Date) {
  const problem = validateDunningPolicy(policy);
  if (problem) throw new AppError('invalid', 'invalid_dunning_policy', problem, { field: 'policy' });
  const before = await currentDunningPolicy(em);
  const row =
    (await em.findOne(EngineSetting, { key: DUNNING_POLICY_KEY })) ??
    em.create(EngineSetting, { key: DUNNING_POLICY_KEY, value: policy, updatedBy: actor.sub });
  Object.assign(row, { value: policy, updatedBy: actor.sub, updatedAt: now });
  recordAudit(em, {
    actor: actor,
    action: 'dunning_policy.update',
    entityType: 'engine_setting',
    entityId: DUNNING_POLICY_KEY,
    before: before.policy,
    after: policy,
  });
  await em.flush();
  return currentDunningPolicy(em);
}
