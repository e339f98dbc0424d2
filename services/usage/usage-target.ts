import type { EntityManager } from '@mikro-orm/core';
import { customerIdOfRef } from '../../db/customer-reads';
import { providersWithKeys } from '../../db/provider-key-list';
import { byokKeysMemo, type UsageCounters } from '../../db/usage-counters';
import { storedBudgets } from '../budgets/stored-budgets';
import type { NamedAccount, AccountRef } from '../../domain/access';
import { forbidden, notFound } from '../../domain/errors';
import type { Identity } from '../../domain/identity';
import { GATEWAY_ROLE } from '../../domain/roles';
import type { UsageTarget } from '../../domain/usage-report';
import { accessWithStanding, cachedAccessFor, type Access } from '../access/check-access';
import { creditTermsOf } from './credit-terms';
import { pricesByok } from '../../domain/rate-card';

/**
 * The customer an event of a report names, as report_usage decides on them: what their subscription
 * grants, how their usage is paid for (credits, caps), their BYOK keys when a BYOK event needs them, and
 * today's usage under a daily cap. Null when the gateway named no one or no one is found.
 */
export async function usageTarget(
  em: EntityManager,
  counters: UsageCounters,
  identity: Identity,
  named: { key: string; whose: NamedAccount; ref: AccountRef; byok: boolean; subjects: boolean },
  today: string,
  now: Date,
): Promise<UsageTarget | null> {
  const access = await accessNamed(em, counters, identity, named.key, named.whose, named.ref, now);
  return access?.customerId ? targetOf(em, counters, access, named, today, now) : null;
}

/** The access of the account an event names; null when the gateway named no one or no one is found. */
async function accessNamed(
  em: EntityManager,
  counters: UsageCounters,
  identity: Identity,
  key: string,
  whose: NamedAccount,
  ref: AccountRef,
  now: Date,
): Promise<Access | null> {
  switch (whose) {
    case 'unnamed':
      return null;
    case 'self': {
      const access = await cachedAccessFor(em, identity);
      if (!access.customerId) throw notFound('customer');
      return access;
    }
    case 'not_yours':
      throw forbidden(`Only the gateway (${GATEWAY_ROLE} role) reports usage for other customers`);
    case 'customer':
      return counters.snapshot(`ref:${key}`, async () => {
        const id = await customerIdOfRef(em, ref.email ? { email: ref.email } : { userId: ref.userId! });
        return id ? accessWithStanding(em, counters, id, now) : null;
      });
  }
}

async function targetOf(
  em: EntityManager,
  counters: UsageCounters,
  access: Access,
  named: { byok: boolean; subjects: boolean },
  today: string,
  now: Date,
): Promise<UsageTarget> {
  const customerId = access.customerId as string;
  const sub = access.subscription;
  const byokInPlan = access.plan?.services.includes('byok') ?? false;
  const dailyLimit = access.dailyApiCalls;
  const periodStart = sub?.currentPeriodStart ?? sub?.trialStart ?? sub?.createdAt ?? null;
  return {
    customerId,
    grantsUsage: access.live,
    periodStart,
    credit: access.live ? await creditTermsOf(em, counters, access, periodStart, now) : null,
    dailyLimit,
    byokInPlan,
    byokPriced: pricesByok(access.plan?.rateCard ?? []),
    byokProviders: named.byok && byokInPlan ? await storedProviders(em, counters, customerId) : new Set(),
    usedToday: dailyLimit !== null ? await counters.usedOn(em, customerId, today) : 0,
    ...(named.subjects
      ? { budgets: await storedBudgets(em, counters, customerId), periodEnd: sub?.currentPeriodEnd ?? null }
      : {}),
  };
}

/** The providers a customer stored a key for (memoised; dropped by this process when it changes them). */
function storedProviders(
  em: EntityManager,
  counters: UsageCounters,
  customerId: string,
): Promise<Set<string>> {
  return counters.snapshot(byokKeysMemo(customerId), async () => {
    const rows = await providersWithKeys(em, customerId);
    return new Set(rows.map((r) => r.provider));
  });
}
