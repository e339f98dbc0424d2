import type { EntityManager } from '@mikro-orm/core';
import {
  customerByRef,
  customerIdOf,
  liveSubscriptionOf,
  type CustomerRef,
  type LiveSubscriptionRow,
  type PlanTermsRow,
} from '../../db/customer-reads';
import { AppError, forbidden } from '../../domain/errors';
import { GATEWAY_ROLE } from '../../domain/roles';
import { serviceEligibility, withinDailyQuota } from '../../domain/access';
import { grantsAccess } from '../../domain/subscription-status';
import type { Identity } from '../../domain/identity';
import { countersFor } from '../usage/counters';

export interface Access {
  customerId: string | null;
  tier: string | null;
  status: string;
  services: string[];
  features: string[];
  dailyApiCalls: number | null;
  plan: PlanTermsRow | null;
  subscription: LiveSubscriptionRow | null;
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
export async function accessOf(em: EntityManager, customerId: string | null): Promise<Access> {
  if (!customerId) return NO_ACCESS;
  const sub = await liveSubscriptionOf(em, customerId);
  if (!sub) return { ...NO_ACCESS, customerId };
  const live = grantsAccess(sub.status);
  return {
    customerId,
    tier: sub.tier,
    status: sub.status,
    services: live ? sub.plan.services : [],
    features: live ? sub.plan.features : [],
    dailyApiCalls: sub.plan.dailyApiCalls,
    plan: sub.plan,
    subscription: sub,
  };
}

/** The caller's own access, read without the ORM (the customer reads' plain SQL). */
export async function ownAccess(em: EntityManager, identity: Identity): Promise<Access> {
  return accessOf(em, await customerIdOf(em, identity.sub));
}

/** A customer's access named by their identity provider's id or our customer id, or null if unknown. */
export async function accessOfUser(
  em: EntityManager,
  userId: string,
): Promise<{ customer: CustomerRef; access: Access } | null> {
  const customer = await customerByRef(em, { userId });
  return customer ? { customer, access: await accessOf(em, customer.id) } : null;
}

/**
 * ownAccess memoised for a couple of seconds per process (check-access is on every request of the
 * platform); a plan or status change is seen within that TTL.
 */
export function cachedAccessFor(em: EntityManager, identity: Identity): Promise<Access> {
  return countersFor(em).snapshot(`user:${identity.sub}`, () => ownAccess(em, identity));
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
  return countersFor(em).snapshot(`ref-access:${key}`, async () => {
    const customer = await customerByRef(em, { email: ref.customer_email, userId: ref.user_id });
    return accessOf(em, customer?.id ?? null);
  });
}

/** Usage days are UTC days: the quota resets at 00:00 UTC. */
export function utcDay(at = new Date()): { day: string; resetsAt: Date } {
  const day = at.toISOString().slice(0, 10);
  return { day, resetsAt: new Date(Date.parse(`${day}T00:00:00.000Z`) + 24 * 60 * 60 * 1000) };
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
