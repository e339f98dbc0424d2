import type { EntityManager } from '@mikro-orm/core';
import { customerByRef, customerIdOf, customerIdOfRef, type CustomerRef } from '../../db/customer-reads';
import { liveSubscriptionOf, type LiveSubscriptionRow, type PlanTermsRow } from '../../db/live-subscription';
import { AppError, forbidden } from '../../domain/errors';
import { GATEWAY_ROLE } from '../../domain/roles';
import {
  accountNamed,
  decideAccess,
  needsTodaysUsage,
  type AccessDecision,
  type AccountRef,
  type Entitlement,
} from '../../domain/access';
import { utcDay } from '../../domain/usage';
import { accessTermsOf, type Entitlement as EntitlementDef } from '../../domain/entitlements';
import { effectiveEntitlements, rememberPlanEntitlements } from '../entitlements/effective';
import { grantsAccess } from '../../domain/subscription-status';
import type { Identity } from '../../domain/identity';
import { countersFor, type UsageCounters } from '../../db/usage-counters';
import { readUsageAccount } from '../../db/credit-account';
import { sqlFor } from '../../db/raw-sql';
import {
  creditResetAt,
  nextUnitRefusal,
  type CreditTerms,
  type UsageRefusal,
} from '../../domain/credit-usage';
import { creditAccountMemo, creditTermsOf, rememberCreditStanding } from '../usage/credit-terms';
import { readReportStanding } from '../../db/report-standing';
import { subjectStanding } from '../budgets/stored-budgets';
import type { BudgetStanding, SubjectBudget } from '../../domain/subject-budgets';

export interface Access {
  customerId: string | null;
  tier: string | null;
  status: string;
  /** Whether the subscription's status grants access now (see grantsAccess). */
  live: boolean;
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
  live: false,
  services: [],
  features: [],
  dailyApiCalls: null,
  plan: null,
  subscription: null,
};

/** What a customer's subscription grants right now (nothing while it does not grant access). */
export async function accessOf(em: EntityManager, customerId: string | null): Promise<Access> {
  if (!customerId) return NO_ACCESS;
  return accessFrom(customerId, await liveSubscriptionOf(em, customerId));
}

/**
 * A customer's access, read with their credit standing in one statement (readReportStanding) and that
 * standing memoised, so creditTermsOf finds it: what a gateway's call for a customer whose memos have
 * lapsed reads.
 */
export async function accessWithStanding(
  em: EntityManager,
  counters: UsageCounters,
  customerId: string,
  now: Date,
  /** For a check, which decides from entitlements: a report does not read them. */
  forCheck = false,
): Promise<Access> {
  const read = await readReportStanding(em, customerId, now, { overrides: forCheck });
  rememberCreditStanding(counters, customerId, read, now);
  const access = accessFrom(customerId, read.subscription);
  if (read.hasOverrides === false) rememberPlanEntitlements(counters, access);
  return access;
}

/** What a customer's live subscription (or none) grants right now. */
export function accessFrom(customerId: string, sub: LiveSubscriptionRow | null): Access {
  if (!sub) return { ...NO_ACCESS, customerId };
  const live = grantsAccess(sub.status);
  return {
    customerId,
    tier: sub.tier,
    status: sub.status,
    live,
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
 * Whose access a check-access call asks about: a person's own (naming themself is allowed, anyone else
 * is not), or for the gateway the customer it names. An unknown customer has no access, as a person who
 * never subscribed: the gateway needs a yes or no, not a lookup error.
 */
export function accessToCheck(em: EntityManager, identity: Identity, ref: AccountRef): Promise<Access> {
  switch (accountNamed(identity, ref)) {
    case 'not_yours':
      throw forbidden(`Only the gateway (${GATEWAY_ROLE} role) checks another customer's access`);
    case 'self':
      return cachedAccessFor(em, identity);
    case 'unnamed':
      throw new AppError('invalid', 'validation_failed', 'customerRef: the gateway names the customer', {
        field: 'customerRef',
      });
    case 'customer': {
      const key = ref.email !== null ? `email:${ref.email}` : `user:${ref.userId}`;
      const counters = countersFor(em);
      return counters.snapshot(`ref-access:${key}`, async () => {
        const id = await customerIdOfRef(em, {
          email: ref.email ?? undefined,
          userId: ref.userId ?? undefined,
        });
        return id ? accessWithStanding(em, counters, id, new Date(counters.now()), true) : NO_ACCESS;
      });
    }
  }
}

/**
 * What decides access, as domain/access.ts takes it, computed from the customer's entitlements (the
 * plan's, with their overrides): for a plan without overrides, exactly its services and daily cap.
 */
function entitlementOf(access: Access, effective: readonly EntitlementDef[]): Entitlement {
  return { status: access.subscription?.status ?? null, ...accessTermsOf(effective) };
}

/**
 * May the caller (or the customer the gateway names) use `service` now, and why not. Today's usage is read
 * only for a plan with a daily cap, from the process's counter cache (see countersFor), which report_usage
 * keeps current for this process's writes.
 */
export async function checkAccess(
  em: EntityManager,
  identity: Identity,
  ref: AccountRef,
  service: string,
  /** A subject of the customer's usage: its budget, if it has one, must have room too. */
  subject?: string,
): Promise<SubjectAccessDecision> {
  const access = await accessToCheck(em, identity, ref);
  const counters = countersFor(em);
  const now = new Date(counters.now());
  const entitlement = entitlementOf(access, await effectiveEntitlements(em, access, now));
  let today: { used: number; resetsAt: Date } | null = null;
  if (needsTodaysUsage(entitlement, service)) {
    const { day, resetsAt } = utcDay(now);
    today = { used: await counters.usedOn(em, access.customerId as string, day), resetsAt };
  }
  let terms = access.live ? creditTermsOf(em, counters, access, periodStartOf(access), now) : null;
  if (terms instanceof Promise) terms = await terms;
  const decision = decideAccess(
    entitlement,
    access.tier,
    service,
    today,
    terms && access.customerId ? await creditRefusal(em, access.customerId, terms, now, subject) : null,
  );
  if (subject === undefined || !access.customerId) return decision;
  const period = { start: periodStartOf(access), end: access.subscription?.currentPeriodEnd ?? null };
  const budget = await subjectStanding(em, counters, access.customerId, subject, period, now);
  return withBudget(decision, subject, budget);
}

/** check-access's answer, with where the subject it named stands against its budget (if it has one). */
export type SubjectAccessDecision = AccessDecision & {
  budget?: (BudgetStanding & { subject: string; budget: SubjectBudget }) | null;
};

/** A subject whose budget is used up is refused, even where the account would be allowed. */
function withBudget(
  decision: AccessDecision,
  subject: string,
  standing: Awaited<ReturnType<typeof subjectStanding>>,
): SubjectAccessDecision {
  if (!standing) return { ...decision, budget: null };
  const budget = { ...standing, subject };
  if (!decision.allowed || !standing.reached) return { ...decision, budget };
  return { ...decision, allowed: false, reason: 'budget_reached', resetsAt: standing.resetsAt, budget };
}

/** The open billing period's start, as report_usage takes it. */
export const periodStartOf = (access: Access): Date | null => {
  const sub = access.subscription;
  return sub?.currentPeriodStart ?? sub?.trialStart ?? sub?.createdAt ?? null;
};

/**
 * Whether credits or a cap refuse this customer's next unit of usage, and until when: read from the ledger
 * without its lock and memoised like access (report_usage decides exactly; this is the gateway's hint).
 */
async function creditRefusal(
  em: EntityManager,
  customerId: string,
  terms: CreditTerms,
  now: Date,
  /** Whose seat credits come first, if it holds or can take a seat. */
  subject?: string,
): Promise<{ refusal: UsageRefusal; resetsAt: Date } | null> {
  const account = await countersFor(em).snapshot(creditAccountMemo(customerId), () =>
    readUsageAccount(sqlFor(em), customerId, terms, now),
  );
  const refusal = nextUnitRefusal(account, now, subject);
  return refusal && { refusal, resetsAt: creditResetAt(terms, now) };
}
