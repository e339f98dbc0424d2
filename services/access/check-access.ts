import type { EntityManager } from '@mikro-orm/core';
import { Customer, DailyUsage, type Plan, type Subscription } from '../../db/entities';
import { AppError, forbidden } from '../../domain/errors';
import { GATEWAY_ROLE } from '../../domain/roles';
import { serviceEligibility, withinDailyQuota } from '../../domain/access';
import { grantsAccess } from '../../domain/subscription-status';
import type { Identity } from '../../domain/identity';
import { findCustomerByRef, findCustomerFor } from '../customers/find-customer';
import { findLiveSubscription } from '../subscriptions/live-subscription';
import { countersFor } from '../usage/counters';

export interface Access {
  customerId: string | null;
  tier: string | null;
  status: string;
  services: string[];
  features: string[];
  dailyApiCalls: number | null;
  plan: Plan | null;
  subscription: Subscription | null;
}

const NO_ACCESS: Access = {
  customerId: null,
  tier: null,
  status: 'none',
  services: [],
  features: [],
  dailyApiCalls: null,
  plan: null,
  subscription: null,
};

/** What a customer's subscription grants right now (nothing while it does not grant access). */
export async function accessOf(em: EntityManager, customer: Customer | null): Promise<Access> {
  if (!customer) return NO_ACCESS;
  const sub = await findLiveSubscription(em, customer);
  if (!sub) return { ...NO_ACCESS, customerId: customer.id };
  const live = grantsAccess(sub.status);
  return {
    customerId: customer.id,
    tier: sub.tier,
    status: sub.status,
    services: live ? sub.plan.services : [],
    features: live ? sub.plan.features : [],
    dailyApiCalls: sub.plan.dailyApiCalls ?? null,
    plan: sub.plan,
    subscription: sub,
  };
}

/**
 * accessOf for the caller, memoised for a couple of seconds per process (check-access is on every
 * request of the platform); a plan or status change is seen within that TTL.
 */
export function cachedAccessFor(em: EntityManager, identity: Identity): Promise<Access> {
  return countersFor(em).snapshot(`user:${identity.sub}`, async () =>
    accessOf(em, await findCustomerFor(em, identity)),
  );
}

/**
 * Whose access a check-access call asks about: a person's own (naming themselves is allowed, anyone else
 * is not), or for the gateway the customer it names. An unknown customer has no access, as a person who
 * never subscribed: the gateway needs a yes or no, not a lookup error.
 */
export function accessToCheck(
  em: EntityManager,
  identity: Identity,
  ref: { customer_email?: string; user_id?: string },
): Promise<Access> {
  const named = ref.customer_email !== undefined || ref.user_id !== undefined;
  if (identity.role !== GATEWAY_ROLE) {
    const self =
      (ref.customer_email === undefined || ref.customer_email === identity.email) &&
      (ref.user_id === undefined || ref.user_id === identity.sub);
    if (!self) throw forbidden(`Only the gateway (${GATEWAY_ROLE} role) checks another customer's access`);
    return cachedAccessFor(em, identity);
  }
  if (!named)
    throw new AppError('invalid', 'validation_failed', 'query.user_id: the gateway names the customer', {
      field: 'query.user_id',
    });
  const key = ref.customer_email !== undefined ? `email:${ref.customer_email}` : `user:${ref.user_id}`;
  return countersFor(em).snapshot(`ref-access:${key}`, async () =>
    accessOf(em, await findCustomerByRef(em, ref)),
  );
}

/** Usage days are UTC days: the quota resets at 00:00 UTC. */
export function utcDay(at = new Date()): { day: string; resetsAt: Date } {
  const day = at.toISOString().slice(0, 10);
  return { day, resetsAt: new Date(Date.parse(`${day}T00:00:00.000Z`) + 24 * 60 * 60 * 1000) };
}

/** Units used on the UTC day of `at`, read from the database (the authoritative counter). */
export async function usedToday(em: EntityManager, customerId: string, at = new Date()): Promise<number> {
  const rows = await em.find(DailyUsage, { customerId, day: utcDay(at).day });
  return rows.reduce((n, r) => n + r.quantity, 0);
}

export interface AccessDecision {
  allowed: boolean;
  reason: string;
  tier: string | null;
  remaining_today: number | null;
  resets_at: string | null;
}

/**
 * The check-access answer: allowed or not, and why (the rule is serviceEligibility's and
 * withinDailyQuota's). Today's usage is read only for a plan with a daily cap, from the process's counter
 * cache (see countersFor), which report_usage keeps current for this process's writes.
 */
export async function decideAccess(
  em: EntityManager,
  access: Access,
  service: string,
): Promise<AccessDecision> {
  const base = { tier: access.tier, remaining_today: null, resets_at: null };
  const eligibility = serviceEligibility(
    {
      status: access.subscription?.status ?? null,
      planServices: access.plan?.services ?? [],
      dailyApiCalls: access.dailyApiCalls,
    },
    service,
  );
  if (!eligibility.allowed) return { ...base, allowed: false, reason: eligibility.reason };
  if (eligibility.dailyLimit === null) return { ...base, allowed: true, reason: 'ok' };
  const counters = countersFor(em);
  const { day, resetsAt } = utcDay(new Date(counters.now()));
  const used = await counters.usedOn(em, access.customerId as string, day);
  const quota = withinDailyQuota(eligibility.dailyLimit, used);
  return {
    tier: access.tier,
    allowed: quota.allowed,
    reason: quota.reason,
    remaining_today: quota.remaining,
    resets_at: resetsAt.toISOString(),
  };
}

export function findCustomerByUserId(em: EntityManager, userId: string): Promise<Customer | null> {
  return em.findOne(Customer, { $or: [{ userId }, { id: userId }] });
}
