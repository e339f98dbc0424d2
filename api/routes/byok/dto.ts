import type { ProviderKey } from '../../../db/entities';
import { BYOK_PROVIDERS, type ByokProviderId } from '../../../domain/byok-providers';
import type { byokStats } from '../../../services/byok/key-stats';

/** The only view of a stored key anyone gets: never the key, never its ciphertext. */
export function providerKeyDto(row: ProviderKey) {
  return {
    provider: row.provider,
    provider_name: BYOK_PROVIDERS[row.provider as ByokProviderId]?.name ?? row.provider,
    key_hint: `…${row.keyHint}`,
    created_at: row.createdAt.toISOString(),
    updated_at: row.updatedAt.toISOString(),
    last_tested_at: row.lastTestedAt?.toISOString() ?? null,
    last_test_result: row.lastTestResult ?? null,
  };
}

/** The caller's keys per provider, how their tests went, and the usage that ran on their own keys. */
export function byokStatsDto(s: Awaited<ReturnType<typeof byokStats>>) {
  return {
    total_keys: s.totalKeys,
    keys_by_provider: s.keysByProvider,
    tests: s.tests,
    byok_usage_events: s.byokUsageEvents,
  };
}
