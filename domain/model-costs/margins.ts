import type { Cents } from '../money';
import { convertAmount, type Conversion } from '../currency/exchange-rates';
import { lineFor, lineKey, POOL_LINE_KEY, type RateLine } from '../rate-card';
import { rateUsage, type RatedLine } from '../rate-card-rating';
import { kindsPricedApart } from '../token-parts';
import {
  allocate,
  costUsage,
  marginPercent,
  noTokens,
  picoToCents,
  TOKEN_KINDS,
  type ModelRate,
  type ModelUsageCost,
  type UsageCostGroup,
  type TokenCounts,
} from './costs';

/** The name a report gives usage that named no model. */
export const NO_MODEL = '(no model)';

/** One customer's billing period of rolled-up usage: what each line billed and its units by model. */
export interface RatedPeriod {
  customerId: string;
  lines: readonly RatedLine[];
  /** Units by line key, then by model (NO_MODEL for none). */
  unitsByLine: ReadonlyMap<string, ReadonlyMap<string, number>>;
}

/** Units rolled up for a customer's billing period on one rate card line, of one model (null: none named). */
export interface RolledUnits {
  customerId: string;
  periodStart: Date;
  lineKey: string;
  model: string | null;
  units: number;
}

/**
 * Each customer's billing periods rated as the rollup rates them for Stripe, with each line's units by
 * model. Units of a line the customer's card no longer has are the pool's, as rateUsage counts them; a
 * customer with no card (`cardOf` null) is left out.
 */
export function ratedPeriods(
  rolled: readonly RolledUnits[],
  cardOf: (customerId: string) => readonly RateLine[] | null,
): RatedPeriod[] {
  const periods = new Map<
    string,
    { customerId: string; card: readonly RateLine[]; units: Map<string, Map<string, number>> }
  >();
  for (const r of rolled) {
    const card = cardOf(r.customerId);
    if (!card) continue;
    const key = `${r.customerId}|${r.periodStart.getTime()}`;
    const p = periods.get(key) ?? { customerId: r.customerId, card, units: new Map() };
    periods.set(key, p);
    const line = card.some((l) => lineKey(l) === r.lineKey) ? r.lineKey : POOL_LINE_KEY;
    const byModel = p.units.get(line) ?? new Map<string, number>();
    p.units.set(line, byModel);
    const model = r.model ?? NO_MODEL;
    byModel.set(model, (byModel.get(model) ?? 0) + r.units);
  }
  return [...periods.values()].map((p) => {
    const totals = new Map([...p.units].map(([k, m]) => [k, [...m.values()].reduce((s, n) => s + n, 0)]));
    return { customerId: p.customerId, lines: rateUsage(p.card, totals).lines, unitsByLine: p.units };
  });
}

/**
 * What the usage each model served was billed: each rated line's cents split over the models of its
 * units in proportion (exact to the cent), summed per customer and model.
 */
export function usageRevenueByModel(periods: readonly RatedPeriod[]): Map<string, Map<string, Cents>> {
  const out = new Map<string, Map<string, Cents>>();
  for (const p of periods) {
    const mine = out.get(p.customerId) ?? new Map<string, Cents>();
    out.set(p.customerId, mine);
    for (const line of p.lines) {
      const units = p.unitsByLine.get(line.key);
      if (!units || line.cents === 0) continue;
      for (const [model, cents] of allocate(line.cents, units))
        mine.set(model, (mine.get(model) ?? 0) + cents);
    }
  }
  return out;
}

export interface MarginFigures {
  revenueCents: Cents;
  costCents: Cents;
  marginCents: Cents;
  marginPercent: number | null;
}

export interface ModelMargin extends MarginFigures {
  model: string;
  provider: string | null;
  tokens: TokenCounts;
  uncostedUnits: number;
  byokUnits: number;
  customers: number;
}

export interface CustomerMargin extends MarginFigures {
  customerId: string;
  email: string;
  plan: string | null;
  usageRevenueCents: Cents;
  invoices: number;
}

export interface PlanMargin extends MarginFigures {
  plan: string | null;
  customers: number;
}

export interface MarginReport {
  totals: MarginFigures & { uncostedUnits: number; byokUnits: number };
  byModel: ModelMargin[];
  byPlan: PlanMargin[];
  byCustomer: CustomerMargin[];
}

const figures = (revenueCents: Cents, costCents: Cents): MarginFigures => ({
  revenueCents,
  costCents,
  marginCents: revenueCents - costCents,
  marginPercent: marginPercent(revenueCents, costCents),
});

/**
 * A month's margins. A model's revenue is what its usage was billed (usageRevenueByModel) and its cost
 * what the platform paid for it; a customer's revenue is their whole bill (plan fees and usage, from the
 * invoices), against the cost of all their usage; a plan's, its customers'. Costs are summed exactly and
 * rounded once per row, so a model's or customer's cost is the rounded sum of its own usage, and the
 * total the rounded sum of all of it.
 */
export function marginReport(input: {
  costs: readonly ModelUsageCost[];
  usageRevenue: ReadonlyMap<string, ReadonlyMap<string, Cents>>;
  invoiced: ReadonlyMap<string, { netCents: Cents; invoices: number }>;
  customers: ReadonlyMap<string, { email: string; plan: string | null }>;
}): MarginReport {
  const models = new Map<
    string,
    Omit<ModelMargin, keyof MarginFigures> & { pico: bigint; revenue: Cents; who: Set<string> }
  >();
  const model = (name: string) => {
    let m = models.get(name);
    if (!m) {
      m = {
        model: name,
        provider: null,
        tokens: noTokens(),
        uncostedUnits: 0,
        byokUnits: 0,
        customers: 0,
        pico: 0n,
        revenue: 0,
        who: new Set(),
      };
      models.set(name, m);
    }
    return m;
  };
  const customerPico = new Map<string, bigint>();
  let totalPico = 0n;
  let uncosted = 0;
  let byok = 0;
  for (const c of input.costs) {
    const m = model(c.model ?? NO_MODEL);
    m.provider ??= c.provider;
    for (const k of TOKEN_KINDS) m.tokens[k] += c.tokens[k];
    m.pico += c.pico;
    m.uncostedUnits += c.uncosted;
    m.byokUnits += c.byok;
    m.who.add(c.customerId);
    customerPico.set(c.customerId, (customerPico.get(c.customerId) ?? 0n) + c.pico);
    totalPico += c.pico;
    uncosted += c.uncosted;
    byok += c.byok;
  }
  const usageOf = new Map<string, Cents>();
  for (const [customerId, byModel] of input.usageRevenue) {
    for (const [name, cents] of byModel) {
      const m = model(name);
      m.revenue += cents;
      m.who.add(customerId);
      usageOf.set(customerId, (usageOf.get(customerId) ?? 0) + cents);
    }
  }
  const byModel = [...models.values()]
    .map(({ pico, revenue, who, ...m }) => ({
      ...m,
      customers: who.size,
      ...figures(revenue, picoToCents(pico)),
    }))
    .sort((a, b) => a.marginCents - b.marginCents || a.model.localeCompare(b.model));

  const ids = new Set([...customerPico.keys(), ...input.invoiced.keys(), ...usageOf.keys()]);
  const byCustomer = [...ids]
    .map((customerId) => {
      const who = input.customers.get(customerId);
      const billed = input.invoiced.get(customerId);
      return {
        customerId,
        email: who?.email ?? customerId,
        plan: who?.plan ?? null,
        usageRevenueCents: usageOf.get(customerId) ?? 0,
        invoices: billed?.invoices ?? 0,
        ...figures(billed?.netCents ?? 0, picoToCents(customerPico.get(customerId) ?? 0n)),
      };
    })
    .sort((a, b) => a.marginCents - b.marginCents || a.email.localeCompare(b.email));

  const plans = new Map<string, { plan: string | null; revenue: Cents; pico: bigint; customers: number }>();
  for (const c of byCustomer) {
    const key = c.plan ?? '';
    const p = plans.get(key) ?? { plan: c.plan, revenue: 0, pico: 0n, customers: 0 };
    p.revenue += c.revenueCents;
    p.pico += customerPico.get(c.customerId) ?? 0n;
    p.customers += 1;
    plans.set(key, p);
  }
  const byPlan = [...plans.values()]
    .map((p) => ({ plan: p.plan, customers: p.customers, ...figures(p.revenue, picoToCents(p.pico)) }))
    .sort((a, b) => a.marginCents - b.marginCents || (a.plan ?? '').localeCompare(b.plan ?? ''));

  const revenue = byCustomer.reduce((s, c) => s + c.revenueCents, 0);
  return {
    totals: { ...figures(revenue, picoToCents(totalPico)), uncostedUnits: uncosted, byokUnits: byok },
    byModel,
    byPlan,
    byCustomer,
  };
}

/** What a customer's invoices issued in a month billed in one currency, net of discounts and tax. */
export interface InvoicedInCurrency {
  customerId: string;
  currency: string;
  netCents: Cents;
  invoices: number;
}

/**
 * The month's figures in the report's currency: the costs (in the catalogue's currency) converted by
 * `costs`, each customer's billing (in their own) by theirs, each figure once and rounded half away from
 * zero. A customer whose currency has no rate is left out, and named by its currency in `missingRates`.
 */
export function convertedMarginInputs(input: {
  costs: readonly ModelUsageCost[];
  usageRevenue: ReadonlyMap<string, ReadonlyMap<string, Cents>>;
  invoiced: readonly InvoicedInCurrency[];
  currencyOf: (customerId: string) => string;
  costConversion: Conversion;
  into: (currency: string) => Conversion | null;
}) {
  const missing = new Set<string>();
  const leftOut = new Set<string>();
  const convertible = (customerId: string, currency: string) => {
    if (input.into(currency)) return true;
    missing.add(currency);
    leftOut.add(customerId);
    return false;
  };
  for (const i of input.invoiced) convertible(i.customerId, i.currency);
  for (const id of new Set([...input.costs.map((c) => c.customerId), ...input.usageRevenue.keys()]))
    convertible(id, input.currencyOf(id));
  const cents = (amount: Cents, currency: string) =>
    Number(convertAmount(BigInt(amount), input.into(currency) as Conversion));

  const invoiced = new Map<string, { netCents: Cents; invoices: number }>();
  for (const i of input.invoiced) {
    if (leftOut.has(i.customerId)) continue;
    const had = invoiced.get(i.customerId) ?? { netCents: 0, invoices: 0 };
    invoiced.set(i.customerId, {
      netCents: had.netCents + cents(i.netCents, i.currency),
      invoices: had.invoices + i.invoices,
    });
  }
  const usageRevenue = new Map<string, Map<string, Cents>>();
  for (const [customerId, byModel] of input.usageRevenue) {
    if (leftOut.has(customerId)) continue;
    const currency = input.currencyOf(customerId);
    usageRevenue.set(customerId, new Map([...byModel].map(([m, c]) => [m, cents(c, currency)])));
  }
  const costs = input.costs
    .filter((c) => !leftOut.has(c.customerId))
    .map((c) => ({ ...c, pico: convertAmount(c.pico, input.costConversion) }));
  return { costs, usageRevenue, invoiced, leftOut, missingRates: [...missing].sort() };
}

/** A customer's usage of a window under two rate cards, and what it cost the platform. */
export interface UsageUnderCards {
  costCents: Cents;
  beforeCents: Cents;
  afterCents: Cents;
}

/**
 * What the usage `groups` hold is billed under the card `before` and the card `after` (each group placed
 * on its line by its type, BYOK flag, model and direction, its token counts on their kinds' lines where the
 * card prices kinds apart, judged on the group's sums; rated on the window's total per line as a period is),
 * and what it cost the platform. Credits that paid for units are not subtracted: the two
 * figures compare the cards, not an invoice.
 */
export function usageUnderCards(
  groups: readonly UsageCostGroup[],
  cards: { before: readonly RateLine[]; after: readonly RateLine[] },
  rates: readonly ModelRate[],
  /** Into the cards' currency, when not the catalogue's. */
  into?: Conversion,
): UsageUnderCards {
  const billed = (card: readonly RateLine[]) => {
    const units = new Map<string, number>();
    const add = (line: RateLine | null, n: number) => {
      if (line) units.set(lineKey(line), (units.get(lineKey(line)) ?? 0) + n);
    };
    for (const g of groups) {
      const metadata: Record<string, unknown> = {};
      if (g.model !== null) metadata.model = g.model;
      if (g.direction !== null) metadata.direction = g.direction;
      const event = { type: g.type, byok: g.byok, metadata };
      const apart = kindsPricedApart(card, { ...event, metadata: { ...metadata, tokens: g.tokens } });
      if (!apart) {
        add(lineFor(card, event), g.quantity);
        continue;
      }
      add(lineFor(card, event), g.untokened);
      for (const [kind, line] of apart.lines) add(line, g.tokens[kind]);
    }
    return rateUsage(card, units).cents;
  };
  const pico = costUsage(groups, rates).reduce((s, c) => s + c.pico, 0n);
  return {
    costCents: picoToCents(into ? convertAmount(pico, into) : pico),
    beforeCents: billed(cards.before),
    afterCents: billed(cards.after),
  };
}

/** What an invoice's usage line cost the platform, in all and per rate card line it billed on. */
export interface LineCost {
  costCents: Cents;
  uncostedUnits: number;
  byokUnits: number;
  lines: { key: string; costCents: Cents }[];
}

/** The cost of a period's rolled-up usage, per rate card line, each rounded once, the total too. */
export function costByLine(
  groups: readonly (UsageCostGroup & { lineKey: string })[],
  rates: readonly ModelRate[],
  /** Into the invoice's currency, when not the catalogue's. */
  into?: Conversion,
): LineCost {
  const inCurrency = (pico: bigint) => (into ? convertAmount(pico, into) : pico);
  const keys = [...new Set(groups.map((g) => g.lineKey))].sort();
  let total = 0n;
  let uncostedUnits = 0;
  let byokUnits = 0;
  const lines = keys.map((key) => {
    const costs = costUsage(
      groups.filter((g) => g.lineKey === key),
      rates,
    );
    const pico = inCurrency(costs.reduce((s, c) => s + c.pico, 0n));
    total += pico;
    uncostedUnits += costs.reduce((s, c) => s + c.uncosted, 0);
    byokUnits += costs.reduce((s, c) => s + c.byok, 0);
    return { key, costCents: picoToCents(pico) };
  });
  return { costCents: picoToCents(total), uncostedUnits, byokUnits, lines };
}
