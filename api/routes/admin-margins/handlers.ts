import { clockOf } from '../../../domain/clock';
import type { HandlerInput } from '../../routing/define-route';
import { monthMargins } from '../../../services/revenue/margins';
import { modelCosts, overrideModelCost, setMarginFloor } from '../../../services/model-costs/rates';
import type { ModelRate } from '../../../domain/model-costs/costs';
import type { MarginFigures } from '../../../domain/model-costs/margins';
import type { marginFloorBody, marginsQuery, modelCostOverrideBody } from './schemas';

type Admin<Q, B> = HandlerInput<undefined, Q, B, 'admin'>;

const figures = (f: MarginFigures) => ({
  revenue_cents: f.revenueCents,
  cost_cents: f.costCents,
  margin_cents: f.marginCents,
  margin_percent: f.marginPercent,
});

export async function getMargins({ deps, query }: Admin<typeof marginsQuery, undefined>) {
  const r = await monthMargins(deps.orm.em.fork(), { now: clockOf(deps).now(), month: query.month });
  return {
    month: r.month,
    currency: r.currency,
    other_currency_customers: r.otherCurrencyCustomers,
    missing_rates: r.missingRates,
    totals: { ...figures(r.totals), uncosted_units: r.totals.uncostedUnits, byok_units: r.totals.byokUnits },
    models: r.byModel.map((m) => ({
      model: m.model,
      provider: m.provider,
      tokens: m.tokens,
      uncosted_units: m.uncostedUnits,
      byok_units: m.byokUnits,
      customers: m.customers,
      ...figures(m),
    })),
    plans: r.byPlan.map((p) => ({ plan: p.plan, customers: p.customers, ...figures(p) })),
    customers: r.byCustomer.slice(0, query.limit).map((c) => ({
      email: c.email,
      plan: c.plan,
      invoices: c.invoices,
      usage_revenue_cents: c.usageRevenueCents,
      ...figures(c),
    })),
    customer_count: r.byCustomer.length,
  };
}

const rateRow = (r: ModelRate) => ({
  model: r.model,
  provider: r.provider,
  valid_from: r.validFrom,
  rates: r.rates,
  source: r.source,
  reason: r.reason,
});

function costsDto(c: Awaited<ReturnType<typeof modelCosts>>) {
  return {
    today: c.today,
    currency: c.currency,
    margin_floor_percent: c.marginFloorPercent,
    models: c.models.map((m) => ({
      model: m.model,
      current: m.current ? rateRow(m.current) : null,
      scheduled: m.scheduled.map(rateRow),
    })),
    history: [...c.rates]
      .sort((a, b) => a.model.localeCompare(b.model) || a.validFrom.localeCompare(b.validFrom))
      .map(rateRow),
  };
}

export async function getModelCosts({ deps }: Admin<undefined, undefined>) {
  return costsDto(await modelCosts(deps.orm.em.fork(), clockOf(deps).now()));
}

export async function postModelCostOverride({
  deps,
  identity,
  body,
}: Admin<undefined, typeof modelCostOverrideBody>) {
  const costs = await overrideModelCost(
    deps.orm.em.fork(),
    identity,
    {
      model: body.model,
      provider: body.provider,
      validFrom: body.valid_from,
      rates: { input: body.input, output: body.output, cached: body.cached, reasoning: body.reasoning },
      reason: body.reason,
    },
    clockOf(deps).now(),
  );
  return costsDto(costs);
}

export async function putMarginFloor({ deps, identity, body }: Admin<undefined, typeof marginFloorBody>) {
  return costsDto(await setMarginFloor(deps.orm.em.fork(), identity, body.percent, clockOf(deps).now()));
}
