import type { EntityManager } from '@mikro-orm/core';
import { readCapAndDrawableLedger, type CapAndDrawable } from '../../db/credit-ledger';
import { sqlFor } from '../../db/raw-sql';
import { countersFor, type UsageCounters } from '../../db/usage-counters';
import { forgetAlertLook } from '../credits/alert-count';
import { creditBalance } from '../../domain/credit-ledger';
import { seatPoolTerms, type CreditTerms, type SpendCap } from '../../domain/credit-usage';
import { spendCapInForce } from '../../domain/spend-cap';
import { includedCreditsPerPeriod } from '../../domain/usage';
import { unpooledTypes, type RateLine } from '../../domain/rate-card';

/** What credit terms are read from: a customer's access as check-access loads it (services/access). */
interface CreditAccess {
  customerId: string | null;
  plan: {
    includedCredits: number;
    overagePer1kCents: number;
    prepaidOnly: boolean;
    rateCard: RateLine[];
    /** Each seat's own credits a month (0: none). */
    seatCredits: number;
  } | null;
  subscription: {
    currentPeriodEnd: Date | null;
    trialEnd: Date | null;
    interval: 'month' | 'year';
    seats: number;
  } | null;
}

/** The memo of a customer's credit standing: dropped by whatever in this process changes it. */
export const creditStandingMemo = (customerId: string): string => `credit-standing:${customerId}`;

/** The memo of the account check-access reads (see creditRefusal in services/access/check-access.ts). */
export const creditAccountMemo = (customerId: string): string => `credit-account:${customerId}`;

/**
 * This process changed a customer's credits or their settings (a grant, a cap, a threshold): what it
 * remembers of where they stand is read again at their next call; other processes follow within their
 * memos' time.
 */
export function forgetCreditStanding(em: EntityManager, customerId: string): void {
  const counters = countersFor(em);
  counters.forgetSnapshot(creditStandingMemo(customerId));
  counters.forgetSnapshot(creditAccountMemo(customerId));
  forgetAlertLook(customerId);
}

interface CreditStanding {
  /** The cap enforced: an admin's maximum blocks whatever mode is stored (enforcedSpendCap). */
  cap: SpendCap | null;
  /** Whether a live grant has credits left. */
  hasPrepaid: boolean;
}

async function readStanding(em: EntityManager, customerId: string, now: Date): Promise<CreditStanding> {
  return standingOf(await readCapAndDrawableLedger(sqlFor(em), customerId, now), now);
}

function standingOf(read: CapAndDrawable, now: Date): CreditStanding {
  return {
    cap: spendCapInForce(read.cap),
    hasPrepaid: creditBalance(read.grants, read.movements, now) > 0,
  };
}

/**
 * Memoises a customer's credit standing from a read made for something else as well (readReportStanding),
 * so creditTermsOf finds it without reading it again.
 */
export function rememberCreditStanding(
  counters: UsageCounters,
  customerId: string,
  read: CapAndDrawable,
  now: Date,
): void {
  counters.rememberSnapshot(creditStandingMemo(customerId), standingOf(read, now));
}

/**
 * How a customer's usage must be paid for, or null when it is simply counted and billed as overage: only
 * customers with prepaid credits left, a blocking spend cap, a prepaid-only plan, or seats with credits of
 * their own take the ledger's locked path. Memoised like access (two seconds): a grant or cap set in another process is followed
 * within that time, and until then usage is billed as overage, never refused wrongly or drawn twice.
 * Answers at once, without a promise, while the memo is fresh (check-access runs on every gateway call).
 */
export function creditTermsOf(
  em: EntityManager,
  counters: UsageCounters,
  access: CreditAccess,
  periodStart: Date | null,
  now: Date,
): CreditTerms | null | Promise<CreditTerms | null> {
  const customerId = access.customerId;
  if (!customerId || !access.plan || !periodStart) return null;
  const memo = creditStandingMemo(customerId);
  const standing = counters.peekSnapshot<CreditStanding>(memo);
  if (standing) return termsOf(access, standing, periodStart);
  return counters
    .snapshot(memo, () => readStanding(em, customerId, now))
    .then((read) => termsOf(access, read, periodStart));
}

function termsOf(access: CreditAccess, standing: CreditStanding, periodStart: Date): CreditTerms | null {
  const plan = access.plan;
  if (!plan) return null;
  const blocking = standing.cap?.mode === 'block';
  const sub = access.subscription;
  const seatPool = sub ? seatPoolTerms(plan.seatCredits, sub.interval, sub.seats) : null;
  if (!plan.prepaidOnly && !blocking && !standing.hasPrepaid && !seatPool) return null;
  return {
    periodStart,
    periodEnd: sub?.currentPeriodEnd ?? sub?.trialEnd ?? null,
    included: includedCreditsPerPeriod(plan.includedCredits, sub?.interval ?? 'month'),
    overagePer1kCents: plan.overagePer1kCents,
    cap: standing.cap,
    prepaidOnly: plan.prepaidOnly,
    unpooledTypes: [...unpooledTypes(plan.rateCard)],
    seatPool,
  };
}
