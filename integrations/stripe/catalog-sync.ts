import type { MikroORM } from '@mikro-orm/core';
import type Stripe from 'stripe';
import { Plan } from '../../db/entities';
import { billsUsage } from '../../domain/rate-card';
import { offeredCurrencies, termsIn, type CurrencyPrice } from '../../domain/currency/plan-terms';
import { seatTermsOf, stripeSeatTiers } from '../../domain/seats';
import { syncCoupons } from './coupon-sync';
import type { SyncStep } from './sync-step';

/**
 * The meter usage is reported to: each customer's rated usage cost of a billing period so far, in cents
 * (domain/rate-card-rating.ts), aggregated by `last`. Its name is part of the API contract with Stripe.
 */
export const USAGE_METER_EVENT = 'billing_engine_usage_cost';

export type { SyncStep } from './sync-step';

/** How many of the steps changed something in Stripe (or would, in a dry run). */
export function changesIn(steps: SyncStep[]): number {
  return steps.filter((s) => s.action !== 'keep').length;
}

/** The plan's own currency keeps the keys it had before there were others; the rest carry their code. */
const suffix = (p: Plan, currency: string) => (currency === p.currency ? '' : `_${currency}`);
const lookupKey = (p: Plan, cycle: 'monthly' | 'yearly', currency = p.currency) =>
  `${p.code}_v${p.version}_${cycle}${suffix(p, currency)}`;
const usageLookupKey = (p: Plan, cycle: 'monthly' | 'yearly', currency = p.currency) =>
  `${p.code}_v${p.version}_usage_${cycle}${suffix(p, currency)}`;

type CurrencyPriceIds = Pick<
  CurrencyPrice,
  'stripePriceMonthlyId' | 'stripePriceYearlyId' | 'stripeUsagePriceMonthlyId' | 'stripeUsagePriceYearlyId'
>;
const pickIds = (x: CurrencyPriceIds): CurrencyPriceIds => ({
  stripePriceMonthlyId: x.stripePriceMonthlyId ?? null,
  stripePriceYearlyId: x.stripePriceYearlyId ?? null,
  stripeUsagePriceMonthlyId: x.stripeUsagePriceMonthlyId ?? null,
  stripeUsagePriceYearlyId: x.stripeUsagePriceYearlyId ?? null,
});

/** Prices by lookup key, ten keys a request (Stripe's limit) rather than one request per key. */
async function pricesByLookupKey(stripe: Stripe, keys: string[]): Promise<Map<string, Stripe.Price>> {
  const found = new Map<string, Stripe.Price>();
  for (let i = 0; i < keys.length; i += 10) {
    // A tiered price's tiers come only when asked for: the plan's seat tiers are checked against them.
    const page = await stripe.prices.list({
      lookup_keys: keys.slice(i, i + 10),
      limit: 100,
      expand: ['data.tiers'],
    });
    for (const p of page.data) if (p.lookup_key) found.set(p.lookup_key, p);
  }
  return found;
}

/**
 * The metered price that bills a plan version's usage: one cent per unit of the cost meter, whose value
 * the engine rates from the plan's rate card. The card lives in the engine, so changing it needs no new
 * Stripe price. Returns the price id, or undefined when a dry run would create it.
 */
async function syncUsagePrice(
  stripe: Stripe,
  prices: Map<string, Stripe.Price>,
  plan: Plan,
  currency: string,
  cycle: 'monthly' | 'yearly',
  product: Stripe.Product | undefined,
  meter: Stripe.Billing.Meter | undefined,
  step: (s: SyncStep) => void,
  dryRun = false,
): Promise<string | undefined> {
  const key = usageLookupKey(plan, cycle, currency);
  const interval = cycle === 'monthly' ? 'month' : 'year';
  const existing = prices.get(key);
  if (existing && existing.recurring?.meter === meter?.id && existing.metadata['usage'] === 'rated_cents') {
    step({ action: 'keep', what: `price ${key}` });
    return existing.id;
  }
  step({ action: 'create', what: `price ${key} (the rated usage cost, 1¢ per unit of the cost meter)` });
  if (dryRun || !product || !meter) return undefined;
  const price = await stripe.prices.create(
    {
      product: product.id,
      currency,
      nickname: `${plan.displayName} usage`,
      recurring: { interval, usage_type: 'metered', meter: meter.id },
      unit_amount: 1,
      lookup_key: key,
      transfer_lookup_key: true,
      metadata: { plan_code: plan.code, plan_version: String(plan.version), usage: 'rated_cents' },
    },
    { idempotencyKey: `billing-engine:usage-cost-price:${key}:${meter.id}` },
  );
  return price.id;
}

/** Whether a Stripe price already bills `amount` (per seat, in these tiers when the plan has them). */
function pricesAlike(
  price: Stripe.Price,
  amount: number,
  mode: string | null,
  tiers: { upTo: number | null; unitCents: number }[] | null,
): boolean {
  if (!tiers) return price.billing_scheme !== 'tiered' && price.unit_amount === amount;
  if (price.billing_scheme !== 'tiered' || price.tiers_mode !== mode || !price.tiers) return false;
  return (
    price.tiers.length === tiers.length &&
    price.tiers.every(
      (t, i) => t.up_to === tiers[i]!.upTo && t.unit_amount === tiers[i]!.unitCents && !t.flat_amount,
    )
  );
}

/**
 * A plan version's prices in one currency: the plan price per cycle (found by lookup key and amount) and
 * the metered usage price beside it. Writes the ids found or made into `ids`.
 */
async function syncCurrencyPrices(
  stripe: Stripe,
  prices: Map<string, Stripe.Price>,
  plan: Plan,
  currency: string,
  ids: CurrencyPriceIds,
  product: Stripe.Product | undefined,
  meter: Stripe.Billing.Meter | undefined,
  step: (s: SyncStep) => void,
  dryRun = false,
): Promise<void> {
  const terms = termsIn(plan, currency);
  if (!terms) return;
  const seatTiers = seatTermsOf(plan)?.tiers ?? null;
  const label = `plan ${plan.code} v${plan.version}${suffix(plan, currency).replace('_', ' ')}`;
  for (const cycle of ['monthly', 'yearly'] as const) {
    const amount = cycle === 'monthly' ? terms.priceMonthlyCents : terms.priceYearlyCents;
    if (amount == null) continue;
    const key = lookupKey(plan, cycle, currency);
    const existing = prices.get(key);
    const tiers = seatTiers && stripeSeatTiers(amount, seatTiers);
    let priceId =
      existing && pricesAlike(existing, amount, seatTiers?.mode ?? null, tiers) ? existing.id : null;
    if (priceId) step({ action: 'keep', what: `price ${key}` });
    else {
      const shape = tiers
        ? `${seatTiers.mode} ${tiers.map((t) => `${t.upTo ?? 'inf'}@${t.unitCents}`).join(',')}`
        : '';
      step({ action: 'create', what: `price ${key} (${amount} ${currency}${shape ? `, ${shape}` : ''})` });
      if (!dryRun && product) {
        const price = await stripe.prices.create(
          {
            product: product.id,
            currency,
            ...(tiers
              ? {
                  billing_scheme: 'tiered',
                  tiers_mode: seatTiers.mode,
                  tiers: tiers.map((t) => ({ up_to: t.upTo ?? 'inf', unit_amount: t.unitCents })),
                }
              : { unit_amount: amount }),
            recurring: { interval: cycle === 'monthly' ? 'month' : 'year' },
            lookup_key: key,
            transfer_lookup_key: true,
            metadata: { plan_code: plan.code, plan_version: String(plan.version) },
          },
          { idempotencyKey: `billing-engine:price:${key}:${amount}${shape ? `:${shape}` : ''}` },
        );
        priceId = price.id;
      }
    }
    const column = cycle === 'monthly' ? 'stripePriceMonthlyId' : 'stripePriceYearlyId';
    if (priceId && ids[column] !== priceId) {
      step({ action: 'update', what: `${label} ${cycle} price → ${priceId}` });
      ids[column] = priceId;
    }
  }
  for (const cycle of ['monthly', 'yearly'] as const) {
    const column = cycle === 'monthly' ? 'stripeUsagePriceMonthlyId' : 'stripeUsagePriceYearlyId';
    const hasCycle = cycle === 'monthly' || terms.priceYearlyCents != null;
    const priceId =
      hasCycle && billsUsage(terms)
        ? await syncUsagePrice(stripe, prices, plan, currency, cycle, product, meter, step, dryRun)
        : null;
    if (priceId !== undefined && (ids[column] ?? null) !== priceId) {
      step({ action: 'update', what: `${label} ${cycle} usage price → ${priceId}` });
      ids[column] = priceId;
    }
  }
}

/**
 * Makes the configured Stripe account match the plan catalog: one product per plan code, a monthly and a
 * yearly price per plan version and currency (found again by lookup key, so a second run changes nothing), the usage
 * meter, and for each plan version that bills overage a metered price per cycle. Prices are immutable in
 * Stripe: a new plan version gets new prices, old ones stay for grandfathered subscribers. With dryRun,
 * only says what it would do.
 */
export async function syncCatalog(
  stripe: Stripe,
  orm: MikroORM,
  opts: { dryRun?: boolean; onStep?: (s: SyncStep) => void } = {},
): Promise<SyncStep[]> {
  const steps: SyncStep[] = [];
  const step = (s: SyncStep) => {
    steps.push(s);
    opts.onStep?.(s);
  };
  const meters = await stripe.billing.meters.list({ limit: 100 });
  let meter = meters.data.find((m) => m.event_name === USAGE_METER_EVENT);
  if (meter) step({ action: 'keep', what: `meter ${USAGE_METER_EVENT}` });
  else {
    step({ action: 'create', what: `meter ${USAGE_METER_EVENT}` });
    if (!opts.dryRun) {
      meter = await stripe.billing.meters.create(
        {
          display_name: 'Usage cost (cents)',
          event_name: USAGE_METER_EVENT,
          default_aggregation: { formula: 'last' },
          customer_mapping: { type: 'by_id', event_payload_key: 'stripe_customer_id' },
          value_settings: { event_payload_key: 'value' },
        },
        { idempotencyKey: `billing-engine:meter:${USAGE_METER_EVENT}` },
      );
    }
  }

  const em = orm.em.fork();
  const plans = await em.find(Plan, { status: 'active' }, { orderBy: { sortOrder: 'asc', version: 'asc' } });
  const products = await stripe.products.list({ limit: 100 });
  const prices = await pricesByLookupKey(
    stripe,
    plans.flatMap((p) =>
      offeredCurrencies(p).flatMap((cur) =>
        (['monthly', 'yearly'] as const).flatMap((c) => [lookupKey(p, c, cur), usageLookupKey(p, c, cur)]),
      ),
    ),
  );
  for (const plan of plans) {
    let product = products.data.find((p) => p.metadata?.plan_code === plan.code);
    if (!product) {
      step({ action: 'create', what: `product ${plan.code}` });
      if (!opts.dryRun) {
        product = await stripe.products.create(
          { name: plan.displayName, metadata: { plan_code: plan.code } },
          { idempotencyKey: `billing-engine:product:${plan.code}` },
        );
        products.data.push(product);
      }
    } else step({ action: 'keep', what: `product ${plan.code}` });

    for (const currency of offeredCurrencies(plan)) {
      const own = currency === plan.currency;
      const ids = pickIds((own ? plan : plan.currencyPrices[currency]) ?? {});
      await syncCurrencyPrices(stripe, prices, plan, currency, ids, product, meter, step, opts.dryRun);
      if (opts.dryRun) continue;
      if (own) Object.assign(plan, pickIds(ids));
      else {
        const entry = plan.currencyPrices[currency];
        if (entry)
          plan.currencyPrices = { ...plan.currencyPrices, [currency]: { ...entry, ...pickIds(ids) } };
      }
    }
    if (product && plan.stripeProductId !== product.id && !opts.dryRun) plan.stripeProductId = product.id;
  }

  if (!opts.dryRun) await em.flush();
  await syncCoupons(stripe, em, step, opts.dryRun);
  return steps;
}
