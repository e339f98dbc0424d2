import type { EntityManager } from '@mikro-orm/core';
import { readLedger, type StoredGrant } from '../../db/credit-ledger';
import { readUsageAccount } from '../../db/credit-account';
import { sqlFor } from '../../db/raw-sql';
import { creditBalance, isLive, remainingByGrant, drawOrder } from '../../domain/credit-ledger';
import {
  creditResetAt,
  nextUnitRefusal,
  overageCost,
  seatPoolTerms,
  type CreditTerms,
  type UsageRefusal,
} from '../../domain/credit-usage';
import { notFound } from '../../domain/errors';
import type { Identity } from '../../domain/identity';
import { includedCreditsPerPeriod } from '../../domain/usage';
import { accessOf, ownAccess, type Access } from '../access/check-access';
import { creditSettingsView, type CreditSettingsView } from './credit-settings';
import { readCreditSettingsRow, type CreditSettingsFields } from '../../db/credit-settings';
import { unpooledTypes } from '../../domain/rate-card';

/** A grant as the customer sees it: what is left of it now, and whether it can still be drawn. */
export interface GrantView extends StoredGrant {
  remaining: number;
  live: boolean;
}

export interface CustomerCredits {
  customerId: string;
  /** Prepaid credits that can be drawn now: the sum of what is left on live grants. */
  balance: number;
  /** Live grants in the order they are drawn, then the rest (expired, voided or used up) newest first. */
  grants: GrantView[];
  /** This period's included credits, when the customer has a plan. */
  included: {
    credits: number;
    used: number;
    remaining: number;
    periodStart: Date;
    periodEnd: Date | null;
  } | null;
  /**
   * This period's seat credits (a plan priced per seat with credits of its own): units per seat, the seats
   * held, and what each holder (a subject) drew, by subject. Units a seat paid use no included credits.
   */
  seats: { perSeat: number; seats: number; holders: { subject: string; used: number }[] } | null;
  /** This period's overage so far (units beyond included and prepaid credits) and its cost. */
  overage: { units: number; costCents: number; resetsAt: Date } | null;
  /** Why one more unit of usage would be refused now (a reached blocking cap, no prepaid credit left). */
  refusal: UsageRefusal | null;
  settings: CreditSettingsView;
  /** The currency overage, the spend cap and its alerts are in: the subscription's. */
  currency: string;
}

/** The open period's start and end as report_usage and check-access take them. */
function periodOf(access: Access): { start: Date; end: Date | null } | null {
  const sub = access.subscription;
  const start = sub?.currentPeriodStart ?? sub?.trialStart ?? sub?.createdAt ?? null;
  return start ? { start, end: sub?.currentPeriodEnd ?? sub?.trialEnd ?? null } : null;
}

/**
 * A customer's credits read from the ledger: the balance, each grant with what is left of it, this
 * period's included credits and overage, and their settings (auto top-up, spend cap).
 */
export async function customerCredits(
  em: EntityManager,
  customerId: string,
  now: Date,
): Promise<CustomerCredits> {
  return (await readCustomerCredits(em, customerId, now)).credits;
}

/** customerCredits with what they were read from: the customer's access and their settings row. */
export async function readCustomerCredits(
  em: EntityManager,
  customerId: string,
  now: Date,
): Promise<{ credits: CustomerCredits; access: Access; settingsRow: CreditSettingsFields | null }> {
  const sql = sqlFor(em);
  const [{ grants, movements }, access, settingsRow] = await Promise.all([
    readLedger(sql, customerId),
    accessOf(em, customerId),
    readCreditSettingsRow(em, customerId),
  ]);
  const settings = creditSettingsView(settingsRow);
  const left = remainingByGrant(grants, movements);
  const views: GrantView[] = grants.map((g) => ({
    ...g,
    remaining: Math.max(0, left.get(g.id) ?? 0),
    live: isLive(g, now) && (left.get(g.id) ?? 0) > 0,
  }));
  const drawable = views.filter((g) => g.live).sort(drawOrder);
  const spent = views.filter((g) => !g.live).sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime());
  const period = periodOf(access);
  const plan = access.plan;
  let included: CustomerCredits['included'] = null;
  let overage: CustomerCredits['overage'] = null;
  let refusal: UsageRefusal | null = null;
  let seats: CustomerCredits['seats'] = null;
  if (period && plan) {
    const terms: CreditTerms = {
      periodStart: period.start,
      periodEnd: period.end,
      included: includedCreditsPerPeriod(plan.includedCredits, access.subscription?.interval ?? 'month'),
      overagePer1kCents: plan.overagePer1kCents,
      cap: settings.spendCap,
      prepaidOnly: plan.prepaidOnly,
      // Types the plan's rate card prices by their own lines use no included or prepaid credits.
      unpooledTypes: [...unpooledTypes(plan.rateCard)],
      seatPool: access.subscription
        ? seatPoolTerms(plan.seatCredits, access.subscription.interval, access.subscription.seats)
        : null,
    };
    const account = await readUsageAccount(sql, customerId, terms, now);
    seats = account.seatPool
      ? {
          perSeat: account.seatPool.perSeat,
          seats: account.seatPool.seats,
          holders: [...account.seatPool.drawn]
            .map(([subject, used]) => ({ subject, used }))
            .sort((a, b) => (a.subject < b.subject ? -1 : a.subject > b.subject ? 1 : 0)),
        }
      : null;
    const used = terms.included - account.includedLeft;
    included = {
      credits: terms.included,
      used,
      remaining: account.includedLeft,
      periodStart: period.start,
      periodEnd: period.end,
    };
    overage = {
      units: account.overageUnits,
      costCents: overageCost(account.overageUnits, plan.overagePer1kCents),
      resetsAt: creditResetAt(terms, now),
    };
    refusal = access.live ? nextUnitRefusal(account, now) : null;
  }
  const credits: CustomerCredits = {
    customerId,
    balance: creditBalance(grants, movements, now),
    grants: [...drawable, ...spent],
    included,
    overage,
    seats,
    refusal,
    settings,
    currency: access.subscription?.currency ?? 'usd',
  };
  return { credits, access, settingsRow };
}

/** The caller's own credits. */
export async function ownCredits(em: EntityManager, identity: Identity, now: Date): Promise<CustomerCredits> {
  const access = await ownAccess(em, identity);
  if (!access.customerId) throw notFound('customer');
  return customerCredits(em, access.customerId, now);
}
