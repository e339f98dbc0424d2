import { unitsPerDaySince } from '../../db/daily-usage';
import type { LiveSubscriptionRow } from '../../db/live-subscription';
import { sqlFor } from '../../db/raw-sql';
import { countersFor } from '../../db/usage-counters';
import { discountAppliesAt, lineDiscounts } from '../../domain/coupons';
import type { Identity } from '../../domain/identity';
import type { Cents } from '../../domain/money';
import { grantsAccess } from '../../domain/subscription-status';
import { utcDay } from '../../domain/usage';
import { cachedAccessFor } from '../access/check-access';
import type { CoreDeps } from '../deps';
import { ownSubscriptionView } from '../subscriptions/live-subscription';
import { usageSummary } from '../usage/usage-views';

const DAY_MS = 86_400_000;

/** One UTC day of the period: its units per usage type, or null for a day still to come. */
export interface UsageDay {
  day: string;
  units: Record<string, number> | null;
}

/** What the next invoice will come to as the period stands, before the tax Stripe adds to it. */
export interface NextInvoiceEstimate {
  on: Date;
  currency: string;
  planCents: Cents;
  /** The rated usage of the period so far: the credits' overage and every line of the plan's rate card. */
  usageCents: Cents;
  discountCents: Cents;
  /** The coupon whose discount applies on that day, or null. */
  coupon: { id: string; name: string | null } | null;
  totalCents: Cents;
}

/**
 * The caller's billing period as the dashboard shows it: its usage day by day and the estimate of the
 * invoice that closes it, both computed here so every client shows the same figures.
 */
export async function periodSummary(deps: Pick<CoreDeps, 'orm'>, identity: Identity) {
  const em = deps.orm.em;
  const summary = await usageSummary(em, identity);
  const { customerId } = await cachedAccessFor(em, identity);
  const { periodStart, periodEnd } = summary.usage;
  const rows = customerId ? await unitsPerDaySince(sqlFor(em), customerId, utcDay(periodStart).day) : [];
  const periodUnits: Record<string, number> = {};
  for (const [type, n] of Object.entries(summary.usage.month))
    periodUnits[type] = n + (summary.usage.byokMonth[type] ?? 0);
  const today = utcDay(new Date(countersFor(em).now())).day;
  // The subscription as it stands now, not as check-access memoised it: a change just made shows at once.
  const sub = await ownSubscriptionView(deps, identity);
  return {
    periodStart,
    periodEnd,
    days: usageDays(rows, { start: periodStart, end: periodEnd }, periodUnits, today),
    nextInvoice: nextInvoiceEstimate(sub, summary.cost.cents),
  };
}

export type PeriodSummary = Awaited<ReturnType<typeof periodSummary>>;

/**
 * Every day from the period's first to its last (or today, if later), each with the units of every type
 * used in the period. The daily counters hold whole days, and a period rarely starts at midnight: what its
 * first day holds from before the start is what the counters hold beyond the period's own units
 * (`periodUnits`, which leave it out), so the first day shows only its part of the period.
 */
export function usageDays(
  rows: { day: string; type: string; n: number | string | null; byok_n: number | string | null }[],
  period: { start: Date; end: Date | null },
  periodUnits: Record<string, number>,
  today: string,
): UsageDay[] {
  const first = utcDay(period.start).day;
  const lastOfPeriod = period.end ? utcDay(new Date(period.end.getTime() - 1)).day : today;
  const last = lastOfPeriod > today ? lastOfPeriod : today;
  const types = Object.keys(periodUnits)
    .filter((t) => (periodUnits[t] ?? 0) > 0)
    .sort();
  const byDay = new Map<string, Record<string, number>>();
  const counted: Record<string, number> = {};
  for (const r of rows) {
    const n = Number(r.n ?? 0) + Number(r.byok_n ?? 0);
    const units = byDay.get(r.day) ?? {};
    units[r.type] = (units[r.type] ?? 0) + n;
    byDay.set(r.day, units);
    counted[r.type] = (counted[r.type] ?? 0) + n;
  }
  const startsMidDay = Date.parse(`${first}T00:00:00.000Z`) !== period.start.getTime();
  const days: UsageDay[] = [];
  for (let t = Date.parse(`${first}T00:00:00.000Z`); ; t += DAY_MS) {
    const day = new Date(t).toISOString().slice(0, 10);
    if (day > last) break;
    const stored = byDay.get(day) ?? {};
    const units =
      day > today
        ? null
        : Object.fromEntries(
            types.map((type) => {
              const before =
                startsMidDay && day === first
                  ? Math.max(0, (counted[type] ?? 0) - (periodUnits[type] ?? 0))
                  : 0;
              return [type, Math.max(0, (stored[type] ?? 0) - before)];
            }),
          );
    days.push({ day, units });
  }
  return days;
}

/**
 * The invoice a subscription that grants access gets at its period end (or when its scheduled change
 * starts, at the new price): the plan's price and the usage so far, less what its coupon takes off each
 * line on that day. None for a subscription that ends at the period end.
 */
export function nextInvoiceEstimate(
  sub: LiveSubscriptionRow | null,
  usageCents: Cents,
): NextInvoiceEstimate | null {
  if (!sub || sub.cancelAtPeriodEnd || !sub.currentPeriodEnd || !grantsAccess(sub.status)) return null;
  const pending =
    sub.pendingTier && sub.pendingInterval && sub.pendingAmountCents != null && sub.pendingEffectiveAt
      ? { amountCents: sub.pendingAmountCents, at: sub.pendingEffectiveAt }
      : null;
  const planCents = pending ? pending.amountCents : sub.amountCents;
  const on = pending ? pending.at : sub.currentPeriodEnd;
  const d =
    sub.discount && discountAppliesAt({ end: sub.discount.end ? new Date(sub.discount.end) : null }, on)
      ? sub.discount
      : null;
  const discountCents = d
    ? lineDiscounts({ percentOffBp: d.percentOffBp ?? null, amountOffCents: d.amountOffCents ?? null }, [
        planCents,
        usageCents,
      ]).reduce((a, b) => a + b, 0)
    : 0;
  return {
    on,
    currency: sub.currency,
    planCents,
    usageCents,
    discountCents,
    coupon: d ? { id: d.couponId, name: d.name ?? null } : null,
    totalCents: planCents + usageCents - discountCents,
  };
}
