import { packPriceIn } from '../../../domain/currency/pack-prices';
import type { CreditPack } from '../../../db/entities';
import type { CustomerCredits, GrantView } from '../../../services/credits/customer-credits';
import { moneyFields, nullableMoneyFields } from '../money-fields';

export const grantDto = (g: GrantView) => ({
  id: g.id,
  amount: g.amount,
  remaining: g.remaining,
  source: g.source,
  priority: g.priority,
  effective_at: g.effectiveAt.toISOString(),
  expires_at: g.expiresAt?.toISOString() ?? null,
  created_at: g.createdAt.toISOString(),
  live: g.live,
  pack_id: g.packId,
  reason: g.reason,
});

/** The spend cap with this period's overage against it. */
export function spendCapDto(c: CustomerCredits) {
  const cap = c.settings.spendCap;
  const overage = c.overage ?? { units: 0, costCents: 0, resetsAt: null };
  return {
    ...nullableMoneyFields('amount', cap?.cents ?? null),
    mode: cap?.mode ?? 'block',
    max_cents: c.settings.spendCapMaxCents,
    period_overage_units: overage.units,
    ...moneyFields('period_overage', overage.costCents),
    resets_at: overage.resetsAt?.toISOString() ?? null,
    reached: c.refusal === 'spend_cap_reached',
  };
}

export const autoTopUpDto = (c: CustomerCredits) => ({
  enabled: c.settings.autoTopUp.enabled,
  threshold: c.settings.autoTopUp.threshold,
  pack_id: c.settings.autoTopUp.packId,
  note: c.settings.autoTopUp.note,
});

export const creditsDto = (c: CustomerCredits) => ({
  balance: c.balance,
  grants: c.grants.map(grantDto),
  included: c.included && {
    credits: c.included.credits,
    used: c.included.used,
    remaining: c.included.remaining,
    period_start: c.included.periodStart.toISOString(),
    period_end: c.included.periodEnd?.toISOString() ?? null,
  },
  seats: c.seats && {
    credits_per_seat: c.seats.perSeat,
    seats: c.seats.seats,
    holders: c.seats.holders.map((h) => ({
      subject: h.subject,
      used: h.used,
      remaining: Math.max(0, c.seats!.perSeat - h.used),
    })),
  },
  spend_cap: spendCapDto(c),
  auto_top_up: autoTopUpDto(c),
  currency: c.currency,
});

/** A pack priced in `currency` when it is sold in it (its own otherwise), with its prices in every currency. */
export const packDto = (p: CreditPack, currency = p.currency) => ({
  id: p.id,
  code: p.code,
  name: p.name,
  credits: p.credits,
  ...moneyFields('price', packPriceIn(p, currency) ?? p.priceCents),
  currency: packPriceIn(p, currency) === null ? p.currency : currency,
  currency_prices: p.currencyPrices,
  plan_codes: p.planCodes,
  expires_after_days: p.expiresAfterDays ?? null,
  active: p.active,
});

type Threshold = { value: number | null; source: 'customer' | 'plan' | 'engine' };

export const alertsDto = (a: {
  includedPercent: Threshold;
  balanceBelow: Threshold;
  overageCents: Threshold;
}) => ({
  included_percent: a.includedPercent,
  balance_below: a.balanceBelow,
  overage_cents: a.overageCents,
});
