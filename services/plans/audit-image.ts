import type { Plan } from '../../db/entities';
import { centsToDollars } from '../../domain/money';
import { planEntitlements } from '../../domain/entitlements';
import { entitlementObject } from '../../integrations/webhooks/objects';
import { rateCardView } from '../../domain/rate-card-wire';
import { offeredCurrencies } from '../../domain/currency/plan-terms';

/**
 * A plan version as its audit entries store it, before and after a change. The log shows entries written
 * years apart side by side, so this keeps the shape entries have always had (the plan as the API showed
 * it, in its own currency) whatever the API's plan object becomes.
 */
export function planAuditImage(p: Plan) {
  return {
    id: p.code,
    name: p.name,
    display_name: p.displayName,
    description: p.description ?? null,
    version: p.version,
    status: p.status,
    currency: p.currency,
    price_monthly: centsToDollars(p.priceMonthlyCents),
    price_monthly_cents: p.priceMonthlyCents,
    price_yearly: p.priceYearlyCents == null ? null : centsToDollars(p.priceYearlyCents),
    price_yearly_cents: p.priceYearlyCents ?? null,
    trial_days: p.trialDays,
    trial_without_card: p.trialWithoutCard ?? null,
    billing_anchor: p.billingAnchor ?? 'anniversary',
    seats:
      p.seatMin == null
        ? null
        : {
            min: p.seatMin,
            max: p.seatMax ?? null,
            tiers: p.seatTiers ?? null,
            creditsPerSeat: p.seatCredits ?? 0,
          },
    features: p.features,
    services: p.services,
    included_credits: p.includedCredits,
    overage_price_per_1k: centsToDollars(p.overagePer1kCents),
    overage_price_per_1k_cents: p.overagePer1kCents,
    daily_api_calls: p.dailyApiCalls ?? null,
    pausable: p.pausable,
    prepaid_only: p.prepaidOnly,
    entitlements: planEntitlements({ ...p, dailyApiCalls: p.dailyApiCalls ?? null }).map(entitlementObject),
    rate_card: rateCardView(p.rateCard),
    currencies: offeredCurrencies(p),
    currency_prices: Object.fromEntries(
      Object.entries(p.currencyPrices).map(([c, x]) => [
        c,
        {
          price_monthly_cents: x.priceMonthlyCents,
          price_yearly_cents: x.priceYearlyCents,
          overage_price_per_1k_cents: x.overagePer1kCents,
          rate_card: rateCardView(x.rateCard),
        },
      ]),
    ),
  };
}
