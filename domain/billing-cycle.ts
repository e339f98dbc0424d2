/**
 * Clients pick a billing cycle (`monthly`/`yearly`, the seeds' words); Stripe prices and the engine's
 * plans recur by interval (`month`/`year`). The two words for one thing meet only here.
 */
export type BillingCycle = 'monthly' | 'yearly';
export type BillingInterval = 'month' | 'year';

export const BILLING_CYCLES = ['monthly', 'yearly'] as const satisfies readonly BillingCycle[];

export function billingCycleOf(interval: string | null | undefined): BillingCycle {
  return interval === 'year' ? 'yearly' : 'monthly';
}

export function intervalOf(cycle: BillingCycle): BillingInterval {
  return cycle === 'yearly' ? 'year' : 'month';
}

/**
 * The billing period that holds `at`, given the current one's start: earlier periods step back whole
 * months from it (a day the month lacks becomes its last day) and each ends where the next begins; the
 * current one's end is null (the subscription knows it). With no subscription, the UTC calendar month.
 */
export function periodHolding(
  at: Date,
  current: { start: Date; interval: BillingInterval } | null,
): { start: Date; end: Date | null } {
  if (!current) {
    return {
      start: new Date(Date.UTC(at.getUTCFullYear(), at.getUTCMonth(), 1)),
      end: new Date(Date.UTC(at.getUTCFullYear(), at.getUTCMonth() + 1, 1)),
    };
  }
  if (at >= current.start) return { start: current.start, end: null };
  const step = current.interval === 'year' ? 12 : 1;
  const s = current.start;
  let later = s;
  for (let back = step; back <= 12 * 100; back += step) {
    const month = s.getUTCMonth() - back;
    const lastDay = new Date(Date.UTC(s.getUTCFullYear(), month + 1, 0)).getUTCDate();
    const start = new Date(
      Date.UTC(
        s.getUTCFullYear(),
        month,
        Math.min(s.getUTCDate(), lastDay),
        s.getUTCHours(),
        s.getUTCMinutes(),
        s.getUTCSeconds(),
        s.getUTCMilliseconds(),
      ),
    );
    if (start <= at) return { start, end: later };
    later = start;
  }
  return periodHolding(at, null);
}
