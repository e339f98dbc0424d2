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
