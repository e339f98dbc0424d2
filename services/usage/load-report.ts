import type { EntityManager } from '@mikro-orm/core';
import { customerByRef } from '../../db/customer-reads';
import { sqlFor } from '../../db/raw-sql';
import { byokKeysMemo, countersFor, type UsageCounters } from '../../db/usage-counters';
import type { NamedAccount, AccountRef } from '../../domain/access';
import { forbidden, notFound } from '../../domain/errors';
import type { Identity } from '../../domain/identity';
import { GATEWAY_ROLE } from '../../domain/roles';
import {
  planReport,
  type IncomingEvent,
  type ReportContext,
  type UsageTarget,
} from '../../domain/usage-report';
import { accessOf, cachedAccessFor, type Access } from '../access/check-access';
import { creditTermsOf } from './credit-terms';
import { usageTypes } from './usage-types';

/** What a report is decided on, and the counter cache its write settles. */
export interface LoadedReport extends ReportContext {
  counters: UsageCounters;
  targets: Map<string, UsageTarget | null>;
}

/**
 * Everything reportUsage decides on, read once: whose usage each event is (the caller's own, or for the
 * gateway the customer it names), what their subscription grants, the BYOK keys they stored when a BYOK
 * event needs them, today's usage under a daily cap, and the usage types the engine knows.
 */
export async function loadReport(
  em: EntityManager,
  identity: Identity,
  events: readonly IncomingEvent[],
): Promise<LoadedReport> {
  const counters = countersFor(em);
  const now = new Date(counters.now());
  const plan = planReport(identity, events, now);
  const targets = new Map<string, UsageTarget | null>();
  for (const [key, named] of plan.targets) {
    const access = await accessNamed(em, counters, identity, key, named.whose, named.ref);
    targets.set(
      key,
      access?.customerId ? await targetOf(em, counters, access, named.byok, plan.today, now) : null,
    );
  }
  return {
    reporter: plan.reporter,
    now,
    today: plan.today,
    resetsAt: plan.resetsAt,
    eventTargets: plan.eventTargets,
    targets,
    knownTypes: await usageTypes(em),
    counters,
  };
}

/** The access of the account an event names; null when the gateway named no one or no one is found. */
async function accessNamed(
  em: EntityManager,
  counters: UsageCounters,
  identity: Identity,
  key: string,
  whose: NamedAccount,
  ref: AccountRef,
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
        const customer = await customerByRef(em, ref.email ? { email: ref.email } : { userId: ref.userId! });
        return customer ? accessOf(em, customer.id) : null;
      });
  }
}

async function targetOf(
  em: EntityManager,
  counters: UsageCounters,
  access: Access,
  byokEvents: boolean,
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
    byokProviders: byokEvents && byokInPlan ? await storedProviders(em, counters, customerId) : new Set(),
    usedToday: dailyLimit !== null ? await counters.usedOn(em, customerId, today) : 0,
  };
}

/** The providers a customer stored a key for (memoised; dropped by this process when it changes them). */
function storedProviders(
  em: EntityManager,
  counters: UsageCounters,
  customerId: string,
): Promise<Set<string>> {
  return counters.snapshot(byokKeysMemo(customerId), async () => {
    const rows = await sqlFor(em).read<{ provider: string }>(
      'select provider from provider_keys where customer_id = ?',
      [customerId],
    );
    return new Set(rows.map((r) => r.provider));
  });
}
