import type { Plan } from './api/client';

/**
 * The billing cycle a person picks (`monthly`/`yearly`, the API's `billing_cycle`); a subscription recurs by
 * `interval` (`month`/`year`). The engine keeps the same rule in domain/billing-cycle.ts; the app does not
 * import the engine, so the two words meet here for the pages.
 */
export type Cycle = 'monthly' | 'yearly';

export function cycleOf(interval: string | null | undefined): Cycle {
  return interval === 'year' ? 'yearly' : 'monthly';
}

/** A `?cycle=` from a link: anything but `yearly` is monthly. */
export function cycleParam(value: string | null): Cycle {
  return value === 'yearly' ? 'yearly' : 'monthly';
}

export function intervalOf(cycle: Cycle): 'month' | 'year' {
  return cycle === 'yearly' ? 'year' : 'month';
}

/** The $1 trial: a one-off price and no yearly one (see the catalog); a trial without a card costs nothing. */
export function isTrialPlan(plan: Plan | undefined): boolean {
  return Boolean(
    plan && plan.trial_days > 0 && plan.price_yearly_cents === null && plan.trial_without_card === null,
  );
}

/** What a plan's trial without a card promises, in the customer's words; null when its trial needs a card. */
export function cardlessTrialTerms(plan: Plan | undefined): string | null {
  if (!plan?.trial_without_card || plan.trial_days <= 0) return null;
  const end =
    plan.trial_without_card === 'free'
      ? 'without one you move to the free tier'
      : 'without one the plan pauses until you add it';
  return `${plan.trial_days}-day free trial, no card needed: add a card before it ends to keep the plan; ${end}.`;
}
