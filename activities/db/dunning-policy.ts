import type { DunningPolicy } from '../../domain/dunning-policy';
import { readDunningPolicy } from '../../db/dunning-policy';
import type { ActivityDeps } from '../deps';

/** The dunning policy an admin set (or the default), read when a dunning run starts. */
export function createDunningPolicyActivities({ orm }: ActivityDeps) {
  async function currentDunningPolicy(): Promise<DunningPolicy> {
    return (await readDunningPolicy(orm.em.fork())).policy;
  }
  return { currentDunningPolicy };
}
