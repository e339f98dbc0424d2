import { creditBalance, drawCredits, type CreditGrant, type CreditMovement } from './credit-ledger';
import { divRound, type Cents } from './money';
import type { Entitlement } from './entitlements';
import type { RateLine } from './rate-card';

/** A spend cap on a period's overage: `block` refuses usage past it, `notify` only tells the customer. */
export interface SpendCap {
  cents: Cents;
  mode: 'block' | 'notify';
}

/**
 * What a customer's usage is paid by, as the report that carries it saw the plan and settings: the usage
 * ledger's writer re-reads the account itself under the customer's lock (db/credit-account.ts).
 */
export interface CreditTerms {
  periodStart: Date;
  /** When the period ends (the cap resets and included credits come back); null when unknown. */
  periodEnd: Date | null;
  /** The period's included credits. */
  included: number;
  overagePer1kCents: number;
  cap: SpendCap | null;
  prepaidOnly: boolean;
  /** Usage types the plan's rate card prices by their own lines: outside the credit pool. */
  unpooledTypes?: readonly string[];
  /** Each seat's own credits for the period (domain/seats.ts); absent or null: none. */
  seatPool?: { perSeat: number; seats: number } | null;
}

/**
 * When refused usage can come back: the period's end, when the cap resets and included credits return;
 * without a known end, the start of the next UTC month.
 */
export function creditResetAt(terms: Pick<CreditTerms, 'periodEnd'>, now: Date): Date {
  return terms.periodEnd ?? new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 1, 1));
}

/** What a customer's usage draws on, as it stands before an event (see drawUsage). */
export interface UsageAccount {
  /** The period's included credits not yet used. */
  includedLeft: number;
  grants: readonly CreditGrant[];
  movements: readonly CreditMovement[];
  /** Units of this period already beyond included and prepaid credits: billed as overage. */
  overageUnits: number;
  overagePer1kCents: Cents;
  cap: SpendCap | null;
  /** Usage beyond included and prepaid credits is refused rather than billed. */
  prepaidOnly: boolean;
  /** The period's seat credits and what each seat's holder drew of them; absent or null: none. */
  seatPool?: SeatPool | null;
}

export type UsageRefusal = 'spend_cap_reached' | 'credits_exhausted';

/** How one event's units were paid for. */
export interface UsageDraw {
  /** Units its subject's seat paid (seatDraw). */
  fromSeat: number;
  fromIncluded: number;
  /** Prepaid draws, in draw order. */
  draws: CreditMovement[];
  /** Units paid from prepaid grants (the sum of draws). */
  prepaid: number;
  /** Units billed as overage. */
  overage: number;
}

/** What `units` of overage cost: priced per thousand, rounded once, as the period's invoice prices them. */
export function overageCost(units: number, per1kCents: Cents): Cents {
  return units === 0 ? 0 : divRound(units * per1kCents, 1000);
}

/**
 * Whether `units` of a period's overage fit under a blocking cap of `capCents`: their exact cost, before the
 * invoice rounds it, is at most the cap. So the bill never passes the cap, and a cap of 0 allows no unit of
 * overage even where a unit's cost rounds to 0¢.
 */
export function overageFitsCap(units: number, per1kCents: Cents, capCents: Cents): boolean {
  return units * per1kCents <= capCents * 1000;
}

/**
 * Pays for one event of `units` at `at`, whole or not at all: its subject's seat credits first (seatDraw),
 * then the period's included credits, then prepaid grants in draw order (domain/credit-ledger.ts), then
 * overage. A prepaid-only customer's event that would need overage is refused (`credits_exhausted`), as
 * is one whose overage would take the period's exact (unrounded) overage cost past a blocking cap
 * (`spend_cap_reached`, see overageFitsCap): nothing past a blocking cap is billed.
 * Answers the account as it stands after the event, so a report's events are paid one after the other.
 */
export function drawUsage(
  account: UsageAccount,
  units: number,
  at: Date,
  subject?: string | null,
): { ok: true; draw: UsageDraw; after: UsageAccount } | { ok: false; reason: UsageRefusal } {
  if (!Number.isSafeInteger(units) || units < 0) throw new RangeError('units must be a non-negative integer');
  const fromSeat = account.seatPool ? seatDraw(account.seatPool, subject ?? null, units) : 0;
  const fromIncluded = Math.min(units - fromSeat, Math.max(0, account.includedLeft));
  const { draws, uncovered } = drawCredits(
    account.grants,
    account.movements,
    units - fromSeat - fromIncluded,
    at,
  );
  if (uncovered > 0 && account.prepaidOnly) return { ok: false, reason: 'credits_exhausted' };
  const overageUnits = account.overageUnits + uncovered;
  if (
    uncovered > 0 &&
    account.cap?.mode === 'block' &&
    !overageFitsCap(overageUnits, account.overagePer1kCents, account.cap.cents)
  )
    return { ok: false, reason: 'spend_cap_reached' };
  const prepaid = draws.reduce((sum, d) => sum + d.amount, 0);
  return {
    ok: true,
    draw: { fromSeat, fromIncluded, draws, prepaid, overage: uncovered },
    after: {
      ...account,
      seatPool:
        fromSeat > 0
          ? withSeatDraw(account.seatPool as SeatPool, subject as string, fromSeat)
          : account.seatPool,
      includedLeft: account.includedLeft - fromIncluded,
      movements: [...account.movements, ...draws],
      overageUnits,
    },
  };
}

/**
 * A period's per-seat credits: each of `seats` subjects draws its own `perSeat` units before the account's
 * pool. A subject holds a seat from its first draw; seats go first come, first served, and a seat once
 * held stays held until the period ends (even if the count is lowered), so what a draw paid never moves.
 */
export interface SeatPool {
  perSeat: number;
  seats: number;
  /** Units each holder drew this period, by subject. */
  drawn: ReadonlyMap<string, number>;
}

/** A period's seat credits: a plan's monthly credits per seat times the months, for the seats held; or null. */
export function seatPoolTerms(
  creditsPerSeatMonthly: number,
  interval: 'month' | 'year',
  seats: number,
): { perSeat: number; seats: number } | null {
  const perSeat = Math.max(0, creditsPerSeatMonthly) * (interval === 'year' ? 12 : 1);
  return perSeat > 0 && seats > 0 ? { perSeat, seats } : null;
}

/** Units of `units` a subject's seat pays: none without a subject, a seat free or its own, or credits left. */
export function seatDraw(pool: SeatPool, subject: string | null, units: number): number {
  if (subject === null || units <= 0 || pool.perSeat <= 0) return 0;
  const drawn = pool.drawn.get(subject);
  if (drawn === undefined && pool.drawn.size >= pool.seats) return 0;
  return Math.min(units, Math.max(0, pool.perSeat - (drawn ?? 0)));
}

function withSeatDraw(pool: SeatPool, subject: string, units: number): SeatPool {
  const drawn = new Map(pool.drawn);
  drawn.set(subject, (drawn.get(subject) ?? 0) + units);
  return { ...pool, drawn };
}

/** Units all seats paid this period. */
export const seatPaid = (pool: SeatPool | null | undefined): number =>
  pool ? [...pool.drawn.values()].reduce((sum, n) => sum + n, 0) : 0;

/** The prepaid balance of an account at `at`. */
export const prepaidBalance = (account: UsageAccount, at: Date): number =>
  creditBalance(account.grants, account.movements, at);

/**
 * Whether a blocking cap or a prepaid-only plan refuses the next unit, as check-access answers it: no
 * included or prepaid credit is left and one more unit of overage is not allowed.
 */
export function nextUnitRefusal(
  account: UsageAccount,
  at: Date,
  subject?: string | null,
): UsageRefusal | null {
  const outcome = drawUsage(account, 1, at, subject);
  return outcome.ok ? null : outcome.reason;
}

/** What a plan version stores that says whether it bills usage after the fact. */
export interface PrepaidOnlySource {
  prepaidOnly: boolean;
  overagePer1kCents: Cents;
  rateCard: readonly RateLine[];
  currencyPrices: Readonly<Record<string, { overagePer1kCents: Cents }>>;
  entitlements: readonly Entitlement[];
}

/**
 * Why a plan version cannot be prepaid-only as it stands, naming the field, or null. A prepaid-only plan
 * refuses usage its included and prepaid credits cannot pay (`credits_exhausted`): nothing is billed after
 * the fact, so whatever would bill usage contradicts it and is refused rather than silently ignored. An
 * overage price (in its own currency or any other) could never apply; a rate card line prices its type
 * outside the credit pool (or BYOK usage) and bills it in arrears, so credits would never stop it; an
 * explicit metered entitlement that `bill`s past its amount would say usage is billed when it is refused.
 */
export function prepaidOnlyRefusal(
  plan: PrepaidOnlySource,
): { code: 'prepaid_only_bills_usage'; field: string; message: string } | null {
  if (!plan.prepaidOnly) return null;
  const refuse = (field: string, what: string) => ({
    code: 'prepaid_only_bills_usage' as const,
    field,
    message: `A prepaid-only plan bills no usage after the fact: ${what}`,
  });
  if (plan.overagePer1kCents > 0) return refuse('overage_price_per_1k_cents', 'its overage price must be 0');
  if (plan.rateCard.length > 0) return refuse('rate_card', 'it can have no rate card lines');
  for (const [currency, p] of Object.entries(plan.currencyPrices))
    if (p.overagePer1kCents > 0)
      return refuse(
        `currency_prices.${currency}.overage_price_per_1k_cents`,
        `its overage price in ${currency} must be 0`,
      );
  for (const [i, e] of plan.entitlements.entries())
    if (e.kind === 'metered' && e.overage === 'bill')
      return refuse(`entitlements.${i}.overage`, `entitlement "${e.feature}" must block past its amount`);
  return null;
}
