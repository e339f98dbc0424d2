import type { EntityManager } from '@mikro-orm/core';
import { Plan } from '../../db/entities';
import { pricesFor, type PlanPrice } from '../../db/plan-prices';
import { intervalOf, type BillingCycle } from '../../domain/billing-cycle';
import { AppError, conflict } from '../../domain/errors';
import { planChangeNowRefusal, planChangeTiming, type SubscriptionTerms } from '../../domain/plan-change';
import { offeredCurrencies, termsIn } from '../../domain/currency/plan-terms';

/** The current version of a plan and its Stripe price for the billing cycle, in a currency it is sold in. */
export async function resolvePlanPrice(
  em: EntityManager,
  code: string,
  cycle: BillingCycle,
  /** The plan code's business field, for the errors' `details.field` (the cycle's is named beside it). */
  field = 'tierId',
  /** The customer's currency; without one, the plan's own. */
  currency?: string,
): Promise<PlanPrice> {
  const plan = await em.findOne(Plan, { code, isCurrent: true, status: 'active' });
  if (!plan) throw new AppError('not_found', 'plan_not_found', `No plan "${code}"`, { field });
  const inCurrency = currency ?? plan.currency;
  if (!termsIn(plan, inCurrency)) {
    throw new AppError('invalid', 'plan_not_in_currency', `Plan "${code}" is not sold in ${inCurrency}`, {
      field,
      currency: inCurrency,
      currencies: offeredCurrencies(plan),
    });
  }
  const interval = intervalOf(cycle);
  const { priceId, usagePriceId, amountCents, synced } = pricesFor(plan, interval, inCurrency);
  if (amountCents == null) {
    throw new AppError('invalid', 'billing_cycle_unavailable', `Plan "${code}" has no yearly price`, {
      field: cycleFieldBeside(field),
    });
  }
  if (!synced || !priceId) {
    throw new AppError(
      'unavailable',
      'plan_not_synced',
      `Plan "${code}" has no Stripe price yet: run npm run stripe:sync`,
    );
  }
  return { plan, priceId, usagePriceId, amountCents, interval, currency: inCurrency };
}

/** The billing cycle's field beside the plan code's: `tierId` → `billingCycle` (also under `continuation.`). */
function cycleFieldBeside(field: string): string {
  return field.replace(/tierId$/, 'billingCycle');
}

/**
 * When a plan change takes effect (domain/plan-change.ts planChangeTiming); asked for now where calendar
 * billing makes it wait for the 1st, it is refused (409 `anchor_needs_period_end`) rather than moved.
 */
export function changeTiming(
  sub: SubscriptionTerms,
  price: PlanPrice,
  asked: 'now' | 'period_end' | undefined,
): 'now' | 'period_end' {
  const refusal = planChangeNowRefusal(sub, price, asked);
  if (refusal) throw conflict('anchor_needs_period_end', refusal, { field: 'when' });
  return planChangeTiming(sub, price, asked);
}
