import type { EntityManager } from '@mikro-orm/core';
import { unremovedOverrides } from '../../db/entitlement-overrides-in-force';
import { readDate } from '../../db/raw-sql';
import { countersFor, type UsageCounters } from '../../db/usage-counters';
import {
  applyOverrides,
  planEntitlements,
  type Entitlement,
  type EntitlementOverride,
} from '../../domain/entitlements';
import type { OverrideChange } from '../../db/entities';

/** The memo of a customer's entitlements: dropped by this process when an admin changes their overrides. */
export const entitlementsMemo = (customerId: string): string => `entitlements:${customerId}`;

/**
 * Memoises the entitlements of a customer a read made for something else found without overrides
 * (readReportStanding): they are exactly their plan's, so effectiveEntitlements needs no read of its own.
 */
export function rememberPlanEntitlements(counters: UsageCounters, access: EntitledAccess): void {
  if (access.plan && access.customerId)
    counters.rememberSnapshot(entitlementsMemo(access.customerId), planEntitlements(access.plan));
}

/** What entitlements are computed from: a customer's access as check-access loads it. */
interface EntitledAccess {
  customerId: string | null;
  plan: {
    services: string[];
    dailyApiCalls: number | null;
    includedCredits: number;
    prepaidOnly: boolean;
    entitlements: Entitlement[];
  } | null;
}

async function readOverrides(em: EntityManager, customerId: string): Promise<EntitlementOverride[]> {
  const rows = await unremovedOverrides(em, customerId);
  return rows.map((r) => {
    const change = (typeof r.change === 'string' ? JSON.parse(r.change) : r.change) as OverrideChange;
    return {
      feature: r.feature,
      ...change,
      expiresAt: r.expires_at == null ? null : readDate(r.expires_at),
      createdAt: readDate(r.created_at),
    };
  });
}

/**
 * A customer's entitlements now: their plan version's, changed by the overrides in force. Memoised per
 * process for two seconds, like access itself: an admin's change in another process, or an override's
 * expiry, is followed within that time. Without a plan there are none.
 */
export async function effectiveEntitlements(
  em: EntityManager,
  access: EntitledAccess,
  now: Date,
): Promise<Entitlement[]> {
  const plan = access.plan;
  const customerId = access.customerId;
  if (!plan || !customerId) return [];
  return countersFor(em).snapshot(entitlementsMemo(customerId), async () => {
    const overrides = await readOverrides(em, customerId);
    const base = planEntitlements(plan);
    return overrides.length === 0 ? base : applyOverrides(base, overrides, now);
  });
}
