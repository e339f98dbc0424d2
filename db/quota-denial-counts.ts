import type { EntityManager } from '@mikro-orm/core';
import { sqlFor } from './raw-sql';

/** Adds denials to a day's count per plan and site, so operators see refusals from every API process. */
export async function addQuotaDenials(
  em: EntityManager,
  day: string,
  plan: string,
  site: string,
  added: number,
): Promise<void> {
  await sqlFor(em).run(
    `insert into quota_denials (day, plan, site, count) values (?, ?, ?, ?)
         on conflict (day, plan, site) do update set count = quota_denials.count + excluded.count`,
    [day, plan, site, added],
  );
}

/** Denials per day, plan and site since a UTC day, for the operators' quota view. */
export function quotaDenialsSince(
  em: EntityManager,
  since: string,
): Promise<{ day: string; plan: string; site: string; n: unknown }[]> {
  return sqlFor(em).run<{ day: string; plan: string; site: string; n: unknown }>(
    'select day, plan, site, sum(count) as n from quota_denials where day >= ? group by day, plan, site',
    [since],
  );
}
