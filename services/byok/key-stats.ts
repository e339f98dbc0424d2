import type { EntityManager } from '@mikro-orm/core';
import { type Customer, UsageEvent } from '../../db/entities';
import { BYOK_PROVIDER_IDS, type ByokProviderId } from '../../domain/byok-providers';
import { listProviderKeys } from './provider-keys';

const emptyCounts = () =>
  Object.fromEntries(BYOK_PROVIDER_IDS.map((id) => [id, 0])) as Record<ByokProviderId, number>;

/**
 * The caller's BYOK picture: keys per provider, how their latest tests went, and how much usage ran on
 * their own keys (those events are not charged against credits).
 */
export async function byokStats(em: EntityManager, customer: Customer | null) {
  const keys = customer ? await listProviderKeys(em, customer) : [];
  const keysByProvider = emptyCounts();
  const tests = { passed: 0, failed: 0, untested: 0 };
  for (const k of keys) {
    if (k.provider in keysByProvider) keysByProvider[k.provider as ByokProviderId] += 1;
    if (!k.lastTestResult) tests.untested += 1;
    else if (k.lastTestResult === 'valid') tests.passed += 1;
    else tests.failed += 1;
  }
  const byokEvents = customer ? await em.count(UsageEvent, { customer, byok: true }) : 0;
  return {
    totalKeys: keys.length,
    keysByProvider,
    tests,
    byokUsageEvents: byokEvents,
  };
}
