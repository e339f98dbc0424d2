import type { EntityManager } from '@mikro-orm/core';
import { allowanceUsedSince } from '../../db/daily-usage';
import { countersFor } from '../../db/usage-counters';
import type { AccountRef } from '../../domain/access';
import { readSeatPool, seatPaidInPeriod } from '../../db/credit-account';
import { sqlFor } from '../../db/raw-sql';
import { seatPoolTerms, type SeatPool } from '../../domain/credit-usage';
import {
  checkEntitlement,
  INCLUDED_CREDITS,
  type Entitlement,
  type EntitlementCheck,
} from '../../domain/entitlements';
import type { Identity } from '../../domain/identity';
import { utcDay } from '../../domain/usage';
import { accessOf, accessToCheck, periodStartOf, type Access } from '../access/check-access';
import { customerByEmail } from '../admin-lists/customer-detail';
import { effectiveEntitlements } from './effective';
import { budgetStandings } from '../budgets/budget-snapshot';

/** One entitlement with what is used of it now (limits are counted by the caller, so show none used). */
export interface EntitlementStanding {
  entitlement: Entitlement;
  check: EntitlementCheck;
}

/** A customer's entitlements as the gateway and the web app read them. */
export interface CustomerEntitlements {
  customerId: string | null;
  tier: string | null;
  status: string;
  entitlements: EntitlementStanding[];
}

/**
 * Usage counted against a metered allowance: the day's (every type: the counter check-access reads;
 * one type: its daily row) or the open period's (summed by UTC day from the period's first day).
 */
async function usedOf(em: EntityManager, access: Access, e: Entitlement, now: Date): Promise<number> {
  if (e.kind !== 'metered' || !access.customerId) return 0;
  const counters = countersFor(em);
  const customerId = access.customerId;
  const today = utcDay(now).day;
  if (e.per === 'day' && e.usageType === '*') return counters.usedOn(em, customerId, today);
  const from = e.per === 'day' ? today : utcDay(periodStartOf(access) ?? now).day;
  const used = await counters.snapshot(`allowance:${customerId}:${e.usageType}:${from}`, () =>
    allowanceUsedSince(em, customerId, from, e.usageType),
  );
  if (e.feature !== INCLUDED_CREDITS) return used;
  // What the period's seats paid uses none of the included credits (memoised as the allowance is).
  const periodStart = periodStartOf(access);
  if (!periodStart) return used;
  const seatPaid = await counters.snapshot(`seat-paid:${customerId}:${periodStart.toISOString()}`, () =>
    seatPaidInPeriod(sqlFor(em), customerId, periodStart),
  );
  return used - seatPaid;
}

/** The period's seat credits and what each holder drew (domain/credit-usage.ts SeatPool), or null. */
async function seatPoolOf(em: EntityManager, access: Access): Promise<SeatPool | null> {
  const sub = access.subscription;
  const periodStart = periodStartOf(access);
  const terms = sub && access.plan ? seatPoolTerms(access.plan.seatCredits, sub.interval, sub.seats) : null;
  if (!terms || !periodStart || !access.customerId) return null;
  return readSeatPool(sqlFor(em), access.customerId, { periodStart, seatPool: terms });
}

const periodEndOf = (access: Access): Date | null =>
  access.subscription?.currentPeriodEnd ?? access.subscription?.trialEnd ?? null;

/** Every entitlement a customer's access gives, each with what is used and left of it now. */
export async function entitlementsOfAccess(em: EntityManager, access: Access): Promise<CustomerEntitlements> {
  const now = new Date(countersFor(em).now());
  const effective = await effectiveEntitlements(em, access, now);
  const status = access.subscription?.status ?? null;
  const standings = await Promise.all(
    effective.map(async (entitlement) => ({
      entitlement,
      check: checkEntitlement(effective, entitlement.feature, {
        status,
        // Whether one more unit is allowed: what a listing means by "allowed".
        quantity: 1,
        used: await usedOf(em, access, entitlement, now),
        now,
        periodEnd: periodEndOf(access),
      }),
    })),
  );
  return { customerId: access.customerId, tier: access.tier, status: access.status, entitlements: standings };
}

/** The caller's entitlements, or those of the customer the gateway names. */
export async function customerEntitlements(
  em: EntityManager,
  identity: Identity,
  ref: AccountRef,
): Promise<CustomerEntitlements> {
  return entitlementsOfAccess(em, await accessToCheck(em, identity, ref));
}

/**
 * What a gateway's signed snapshot carries: the entitlements, every budget inside the account with where
 * its subject stands, and the period's seat credits by holder, so the gateway can decide all locally.
 */
export async function entitlementSnapshot(em: EntityManager, identity: Identity, ref: AccountRef) {
  const access = await accessToCheck(em, identity, ref);
  const counters = countersFor(em);
  const [view, budgets, seats] = await Promise.all([
    entitlementsOfAccess(em, access),
    access.customerId
      ? budgetStandings(
          em.fork(),
          counters,
          access.customerId,
          { start: periodStartOf(access), end: periodEndOf(access) },
          new Date(counters.now()),
        )
      : [],
    seatPoolOf(em, access),
  ]);
  return { view, budgets, seats };
}

/** A customer's entitlements as an admin reads them, by email. */
export async function entitlementsByEmail(em: EntityManager, email: string): Promise<CustomerEntitlements> {
  const customer = await customerByEmail(em, email);
  return entitlementsOfAccess(em, await accessOf(em, customer.id));
}

/**
 * May the caller (or the customer the gateway names) use `quantity` more of `feature` now. For a numeric
 * limit the caller says how many it has in use (`inUse`), as only the product knows its seats or
 * projects; an allowance counts the customer's usage itself.
 */
export async function checkFeature(
  em: EntityManager,
  identity: Identity,
  ref: AccountRef,
  want: { feature: string; quantity: number; inUse: number },
): Promise<EntitlementCheck> {
  const access = await accessToCheck(em, identity, ref);
  const now = new Date(countersFor(em).now());
  const effective = await effectiveEntitlements(em, access, now);
  const e = effective.find((x) => x.feature === want.feature);
  const used = !e ? 0 : e.kind === 'limit' ? want.inUse : await usedOf(em, access, e, now);
  return checkEntitlement(effective, want.feature, {
    status: access.subscription?.status ?? null,
    quantity: want.quantity,
    used,
    now,
    periodEnd: periodEndOf(access),
  });
}
