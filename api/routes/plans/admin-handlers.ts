import type { z } from 'zod';
import { clockOf } from '../../../domain/clock';
import type { HandlerInput } from '../../routing/define-route';
import { archivePlan, createPlan, updatePlan, type PlanChanges } from '../../../services/plans/manage-plans';
import { pricedIn } from '../../../services/plans/list-plans';
import {
  approveRehearsal,
  planMigrationReport,
  startPlanMigration,
} from '../../../services/plans/migrate-plan';
import { listPlanVersions, migrationPreview } from '../../../services/plans/plan-versions';
import { requestCatalogSync } from '../../../services/plans/sync-catalog';
import { migrationDto, migrationPreviewDto, planDto, planVersionDto } from './dto';
import type {
  createPlanBody,
  migratePlanBody,
  migrationParams,
  migrationQuery,
  planParams,
  updatePlanBody,
} from './schemas';

type Admin<P, B, Q = undefined> = HandlerInput<P, Q, B, 'admin'>;

function changesOf(b: Partial<z.output<typeof updatePlanBody>>): PlanChanges {
  return {
    name: b.name,
    displayName: b.display_name,
    description: b.description,
    priceMonthlyCents: b.price_monthly_cents ?? b.price_monthly,
    priceYearlyCents: b.price_yearly_cents !== undefined ? b.price_yearly_cents : b.price_yearly,
    trialDays: b.trial_days,
    trialWithoutCard: b.trial_without_card,
    billingAnchor: b.billing_anchor,
    seats: b.seats && {
      min: b.seats.min,
      max: b.seats.max,
      tiers: b.seats.tiers && {
        mode: b.seats.tiers.mode,
        bands: b.seats.tiers.bands.map((x) => ({ fromSeat: x.from_seat, percentOff: x.percent_off })),
      },
      creditsPerSeat: b.seats.credits_per_seat,
    },
    services: b.services,
    features: b.features,
    includedCredits: b.included_credits,
    overagePer1kCents: b.overage_price_per_1k_cents ?? b.overage_price_per_1k,
    dailyApiCalls: b.daily_api_calls,
    pausable: b.pausable,
    prepaidOnly: b.prepaid_only,
    rateCard: b.rate_card,
    currencyPrices:
      b.currency_prices &&
      Object.fromEntries(
        Object.entries(b.currency_prices).map(([currency, p]) => [
          currency,
          {
            priceMonthlyCents: p.price_monthly_cents,
            priceYearlyCents: p.price_yearly_cents,
            overagePer1kCents: p.overage_price_per_1k_cents,
            rateCard: p.rate_card,
          },
        ]),
      ),
    entitlements: b.entitlements?.map((e) =>
      e.kind === 'metered'
        ? {
            feature: e.feature,
            kind: e.kind,
            usageType: e.usage_type,
            amount: e.amount,
            per: e.per,
            overage: e.overage,
          }
        : e,
    ),
  };
}

export async function createPlanHandler({ deps, identity, body }: Admin<undefined, typeof createPlanBody>) {
  const c = changesOf(body);
  const priceMonthlyCents = c.priceMonthlyCents ?? 0;
  const plan = await createPlan(
    deps.orm.em.fork(),
    identity,
    body.id,
    { ...c, displayName: body.display_name, priceMonthlyCents },
    { now: clockOf(deps).now(), marginOverrideReason: body.margin_override_reason },
  );
  return { ...planDto(pricedIn(plan)), stripe_sync: await requestCatalogSync(deps) };
}

export async function updatePlanHandler({
  deps,
  identity,
  params,
  body,
}: Admin<typeof planParams, typeof updatePlanBody>) {
  const { plan, grandfathered } = await updatePlan(
    deps.orm.em.fork(),
    identity,
    params.plan_id,
    changesOf(body),
    { now: clockOf(deps).now(), marginOverrideReason: body.margin_override_reason },
  );
  return {
    ...planDto(pricedIn(plan)),
    grandfathered_subscribers: grandfathered,
    stripe_sync: await requestCatalogSync(deps),
  };
}

export async function archivePlanHandler({ deps, identity, params }: Admin<typeof planParams, undefined>) {
  const plan = await archivePlan(deps.orm.em.fork(), identity, params.plan_id);
  return { ...planDto(pricedIn(plan)), archived: true };
}

export async function migratePlanHandler({
  deps,
  identity,
  params,
  body,
}: Admin<typeof planParams, typeof migratePlanBody>) {
  return migrationDto(await startPlanMigration(deps, identity, params.plan_id, body));
}

export async function planMigrationHandler({
  deps,
  params,
  query,
}: Admin<typeof migrationParams, undefined, typeof migrationQuery>) {
  return migrationDto(
    await planMigrationReport(deps, params.migration_id, {
      ...(query.outcome ? { outcome: query.outcome } : {}),
      ...(query.after ? { after: query.after } : {}),
      limit: query.limit,
    }),
  );
}

export const listPlanVersionsHandler = async ({ deps }: Admin<undefined, undefined>) =>
  (await listPlanVersions(deps.orm.em.fork())).map(planVersionDto);

export const migrationPreviewHandler = async ({ deps, params }: Admin<typeof planParams, undefined>) =>
  migrationPreviewDto(await migrationPreview(deps.orm.em.fork(), params.plan_id, clockOf(deps).now()));

export const approveRehearsalHandler = async ({
  deps,
  identity,
  params,
}: Admin<typeof migrationParams, undefined>) =>
  migrationDto(await approveRehearsal(deps, identity, params.migration_id));
