import type { RehearsalDetail, RehearsalSummary } from '../../../domain/plan-migration';
import { centsToDollars } from '../../../domain/money';
import { bandSeatCents, seatTermsOf } from '../../../domain/seats';
import type { CurrencyTerms } from '../../../domain/currency/plan-terms';
import type { EntitlementChange } from '../../../domain/entitlements';
import { rateCardView } from '../../../domain/rate-card-wire';
import { entitlementObject } from '../../../integrations/webhooks/objects';
import type { PricedPlan } from '../../../services/plans/list-plans';
import type { planMigrationReport, startPlanMigration } from '../../../services/plans/migrate-plan';
import type { listPlanVersions, migrationPreview } from '../../../services/plans/plan-versions';

type PlanVersion = Awaited<ReturnType<typeof listPlanVersions>>[number];
type MigrationPreview = Awaited<ReturnType<typeof migrationPreview>>;
type Migration = Awaited<ReturnType<typeof startPlanMigration>>;
type MigrationReport = Awaited<ReturnType<typeof planMigrationReport>>;

/**
 * A plan's seat terms as clients read them: each tier band with what one seat in it costs, in the
 * currency the plan is shown in, so a page can price a count without knowing the discount rule.
 */
function seatsView(
  p: PricedPlan['plan'],
  t: Pick<CurrencyTerms, 'priceMonthlyCents'> & { priceYearlyCents?: number | null },
) {
  const terms = seatTermsOf(p);
  if (!terms) return null;
  const tiers = terms.tiers;
  return {
    min: terms.min,
    max: terms.max,
    tiers: tiers
      ? {
          mode: tiers.mode,
          bands: tiers.bands.map((b) => ({
            from_seat: b.fromSeat,
            percent_off: b.percentOff,
            price_monthly_cents: bandSeatCents(t.priceMonthlyCents, b.percentOff),
            price_yearly_cents:
              t.priceYearlyCents == null ? null : bandSeatCents(t.priceYearlyCents, b.percentOff),
          })),
        }
      : null,
    credits_per_seat: terms.creditsPerSeat ?? 0,
  };
}

/**
 * A plan as clients read it, priced in the currency it is shown in: money in dollars for clients that read
 * dollars, beside integer cents.
 */
export function planDto({ plan: p, currency, terms: t, entitlements, currencies }: PricedPlan) {
  return {
    id: p.code,
    name: p.name,
    display_name: p.displayName,
    description: p.description ?? null,
    version: p.version,
    status: p.status,
    currency,
    price_monthly: centsToDollars(t.priceMonthlyCents),
    price_monthly_cents: t.priceMonthlyCents,
    price_yearly: t.priceYearlyCents == null ? null : centsToDollars(t.priceYearlyCents),
    price_yearly_cents: t.priceYearlyCents ?? null,
    trial_days: p.trialDays,
    trial_without_card: p.trialWithoutCard ?? null,
    billing_anchor: p.billingAnchor ?? 'anniversary',
    seats: seatsView(p, t),
    features: p.features,
    services: p.services,
    included_credits: p.includedCredits,
    overage_price_per_1k: centsToDollars(t.overagePer1kCents),
    overage_price_per_1k_cents: t.overagePer1kCents,
    daily_api_calls: p.dailyApiCalls ?? null,
    pausable: p.pausable,
    prepaid_only: p.prepaidOnly,
    entitlements: entitlements.map(entitlementObject),
    rate_card: rateCardView(t.rateCard),
    currencies,
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

/** A plan version as operators read it: with its live subscriptions and whether Stripe can bill it. */
export function planVersionDto(v: PlanVersion) {
  return {
    ...planDto(v),
    plan_version_id: v.plan.id,
    is_current: v.plan.isCurrent,
    live_subscriptions: v.liveSubscriptions,
    stripe_sync: { monthly: v.stripeSync.monthly, yearly: v.stripeSync.yearly },
  };
}

const entitlementChangeDto = (c: EntitlementChange) => ({
  feature: c.feature,
  change: c.change,
  before: 'before' in c ? entitlementObject(c.before) : null,
  after: 'after' in c ? entitlementObject(c.after) : null,
});

/** Who a migration to the current version would move, and what each would gain and lose. */
export function migrationPreviewDto(m: MigrationPreview) {
  return {
    plan_id: m.planCode,
    to_version: m.toVersion,
    subscriptions: m.subscriptions.map((s) => ({
      subscription_id: s.subscriptionId,
      email: s.email,
      from_version: s.fromVersion,
      interval: s.interval,
      amount_cents: s.amountCents,
      new_amount_cents: s.newAmountCents,
      entitlement_changes: s.entitlementChanges.map(entitlementChangeDto),
    })),
    entitlement_summary: m.entitlementSummary,
  };
}

/** A migration's progress and, from the report, a page of what it did to each subscription. */
export function migrationDto(m: Migration | MigrationReport) {
  return {
    migration_id: m.id,
    kind: m.kind,
    rehearsal_id: m.rehearsalId ?? null,
    plan_id: m.planCode,
    version: m.toVersion,
    when: m.when,
    status: m.status,
    started_at: m.createdAt.toISOString(),
    finished_at: m.finishedAt ? m.finishedAt.toISOString() : null,
    started_by: m.startedByEmail ?? null,
    progress: m.progress,
    summary: m.summary ? rehearsalSummaryDto(m.summary) : null,
    comparison: m.comparison,
    subscriptions: m.items.map((i) => ({
      subscription_id: i.subscriptionId,
      from_version: i.fromVersion,
      outcome: i.outcome,
      result: i.result ?? null,
      reason: i.reason ?? null,
      amount_cents: i.amountCents,
      new_amount_cents: i.newAmountCents ?? null,
      rehearsal: i.detail ? rehearsalDetailDto(i.detail) : null,
      as_rehearsed: i.asRehearsed ?? null,
    })),
    next_cursor: m.nextCursor,
  };
}

function rehearsalSummaryDto(s: RehearsalSummary) {
  return {
    mrr: s.mrr.map((m) => ({ currency: m.currency, before_cents: m.beforeCents, after_cents: m.afterCents })),
    pay_more: s.payMore,
    pay_less: s.payLess,
    pay_same: s.paySame,
    failed: s.failed,
    due_now: s.dueNow,
    largest: s.largest.map((l) => ({
      subscription_id: l.subscriptionId,
      currency: l.currency,
      before_cents: l.beforeCents,
      after_cents: l.afterCents,
    })),
    margin: (s.margin ?? []).map((m) => ({
      currency: m.currency,
      cost_cents: m.costCents,
      before_cents: m.beforeCents,
      after_cents: m.afterCents,
    })),
  };
}

function rehearsalDetailDto(d: RehearsalDetail) {
  return {
    currency: d.currency,
    interval: d.interval,
    next_invoice: {
      at: d.nextInvoice.at,
      before_cents: d.nextInvoice.beforeCents,
      after_cents: d.nextInvoice.afterCents,
    },
    proration: d.proration && {
      credit_cents: d.proration.creditCents,
      charge_cents: d.proration.chargeCents,
      discount_cents: d.proration.discountCents,
      due_now_cents: d.proration.dueNowCents,
    },
    mrr: { before_cents: d.mrr.beforeCents, after_cents: d.mrr.afterCents },
    included_credits: d.includedCredits,
    entitlement_changes: d.entitlementChanges,
    credits_carried_over: d.creditsCarriedOver,
    stripe_calls: d.stripeCalls,
    margin: d.margin
      ? {
          cost_cents: d.margin.costCents,
          before_cents: d.margin.beforeCents,
          after_cents: d.margin.afterCents,
        }
      : null,
  };
}
