import type { MikroORM } from '@mikro-orm/core';
import type Stripe from 'stripe';
import { Plan } from '../../db/entities';

/** The meter usage events are reported to; its name is part of the API contract with Stripe. */
export const USAGE_METER_EVENT = 'billing_engine_usage';

export interface SyncStep {
  action: 'create' | 'keep' | 'update';
  what: string;
}

const lookupKey = (p: Plan, cycle: 'monthly' | 'yearly') => `${p.code}_v${p.version}_${cycle}`;

/**
 * Makes the configured Stripe account match the plan catalog: one product per plan code, a monthly and a
 * yearly price per plan version (found again by lookup key, so a second run changes nothing), and the
 * usage meter. Prices are immutable in Stripe: a new plan version gets new prices, old ones stay for
 * grandfathered subscribers. With dryRun, only says what it would do.
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
  const em = orm.em.fork();
  const plans = await em.find(Plan, { status: 'active' }, { orderBy: { sortOrder: 'asc', version: 'asc' } });
  const products = await stripe.products.list({ limit: 100 });
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

    for (const cycle of ['monthly', 'yearly'] as const) {
      const amount = cycle === 'monthly' ? plan.priceMonthlyCents : plan.priceYearlyCents;
      if (amount == null) continue;
      const key = lookupKey(plan, cycle);
      const existing = (await stripe.prices.list({ lookup_keys: [key], limit: 1 })).data[0];
      let priceId = existing && existing.unit_amount === amount ? existing.id : null;
      if (priceId) step({ action: 'keep', what: `price ${key}` });
      else {
        step({ action: 'create', what: `price ${key} (${amount} ${plan.currency})` });
        if (!opts.dryRun && product) {
          const price = await stripe.prices.create(
            {
              product: product.id,
              currency: plan.currency,
              unit_amount: amount,
              recurring: { interval: cycle === 'monthly' ? 'month' : 'year' },
              lookup_key: key,
              transfer_lookup_key: true,
              metadata: { plan_code: plan.code, plan_version: String(plan.version) },
            },
            { idempotencyKey: `billing-engine:price:${key}:${amount}` },
          );
          priceId = price.id;
        }
      }
      const column = cycle === 'monthly' ? 'stripePriceMonthlyId' : 'stripePriceYearlyId';
      if (priceId && plan[column] !== priceId) {
        step({ action: 'update', what: `plan ${plan.code} v${plan.version} ${cycle} price → ${priceId}` });
        if (!opts.dryRun) plan[column] = priceId;
      }
    }
    if (product && plan.stripeProductId !== product.id && !opts.dryRun) plan.stripeProductId = product.id;
  }

  const meters = await stripe.billing.meters.list({ limit: 100 });
  if (meters.data.some((m) => m.event_name === USAGE_METER_EVENT))
    step({ action: 'keep', what: `meter ${USAGE_METER_EVENT}` });
  else {
    step({ action: 'create', what: `meter ${USAGE_METER_EVENT}` });
    if (!opts.dryRun) {
      await stripe.billing.meters.create(
        {
          display_name: 'API usage',
          event_name: USAGE_METER_EVENT,
          default_aggregation: { formula: 'sum' },
          customer_mapping: { type: 'by_id', event_payload_key: 'stripe_customer_id' },
          value_settings: { event_payload_key: 'value' },
        },
        { idempotencyKey: `billing-engine:meter:${USAGE_METER_EVENT}` },
      );
    }
  }
  if (!opts.dryRun) await em.flush();
  return steps;
}
