import { Plan } from '../../db/entities';
import { newId } from '../../db/ids';
import type { Dialect } from '../../db/orm';
import { planBriefOfPrice, pricedPlanOfPrice, pricesFor } from '../../db/plan-prices';
import { openTestDatabase } from '../helpers/db';

describe.each<Dialect>(['sqlite', 'postgresql'])('the plan a Stripe price belongs to, on %s', (dialect) => {
  let db: Awaited<ReturnType<typeof openTestDatabase>>;
  beforeAll(async () => {
    db = await openTestDatabase(dialect);
  });
  afterAll(() => db?.close());

  /** The model: every plan as an entity, the price looked for among its own prices, then its currencies'. */
  async function ownerOf(priceId: string) {
    const plans = await db.orm.em.fork().find(Plan, {}, { orderBy: { id: 'asc' } });
    for (const plan of plans) {
      if (plan.stripePriceMonthlyId === priceId) return { plan, interval: 'month', currency: plan.currency };
      if (plan.stripePriceYearlyId === priceId) return { plan, interval: 'year', currency: plan.currency };
    }
    for (const plan of plans)
      for (const [currency, p] of Object.entries(plan.currencyPrices)) {
        if (p.stripePriceMonthlyId === priceId) return { plan, interval: 'month', currency };
        if (p.stripePriceYearlyId === priceId) return { plan, interval: 'year', currency };
      }
    return null;
  }

  it('answers both reads as the entities do, for its own prices, its other currencies and none', async () => {
    const em = db.orm.em.fork();
    const code = `pp-${newId('p').slice(-8)}`;
    // Stripe's price ids are letters, digits and underscores.
    const key = code.replace(/-/g, '');
    const terms = { priceMonthlyCents: 900, priceYearlyCents: 9_000, overagePer1kCents: 40, rateCard: [] };
    em.create(Plan, {
      id: `plan_${code}_v1`,
      code,
      name: code,
      displayName: code,
      priceMonthlyCents: 1_000,
      priceYearlyCents: 10_000,
      currency: 'usd',
      services: ['chat', 'embeddings'],
      dailyApiCalls: 5_000,
      trialDays: 14,
      overagePer1kCents: 30,
      stripePriceMonthlyId: `price_${key}_m`,
      stripePriceYearlyId: `price_${key}_y`,
      stripeUsagePriceMonthlyId: `price_${key}_um`,
      stripeUsagePriceYearlyId: `price_${key}_uy`,
      currencyPrices: {
        eur: {
          ...terms,
          stripePriceMonthlyId: `price_${key}_eur_m`,
          stripePriceYearlyId: `price_${key}_eur_y`,
          stripeUsagePriceMonthlyId: `price_${key}_eur_um`,
        },
        gbp: { ...terms, stripePriceMonthlyId: `price_${key}_gbp_m` },
      },
    });
    await em.flush();
    const prices = [
      `price_${key}_m`,
      `price_${key}_y`,
      `price_${key}_eur_m`,
      `price_${key}_eur_y`,
      `price_${key}_gbp_m`,
      // Not a price of it: unknown, a prefix of one, LIKE's wildcards, a quote, NUL.
      `price_${key}`,
      `price_${key}_%`,
      `price_${key}__m`,
      "price_' or 1=1 --",
      `price_${key}_m\u0000`,
      // A control character or a lone surrogate beside one of its ids (the other currencies' lookup drops
      // such characters from its text match, and the exact compare after it refuses them).
      `price_${key}_m\u0001`,
      `price_${key}_eur_m\u0001`,
      `price_${key}_eur_m\ud800`,
      `\udc00price_${key}_y`,
    ];
    for (const price of prices) {
      const full = await ownerOf(price);
      const brief = await planBriefOfPrice(db.orm.em.fork(), price);
      expect([price, brief]).toEqual([
        price,
        full && {
          planId: full.plan.id,
          code: full.plan.code,
          interval: full.interval,
          currency: full.currency,
          services: full.plan.services,
          dailyApiCalls: full.plan.dailyApiCalls ?? null,
        },
      ]);
      const priced = await pricedPlanOfPrice(db.orm.em.fork(), price);
      expect([
        price,
        priced && { ...priced, plan: { id: priced.plan.id, trialDays: priced.plan.trialDays } },
      ]).toEqual([
        price,
        full && {
          plan: { id: full.plan.id, trialDays: full.plan.trialDays },
          interval: full.interval,
          currency: full.currency,
        },
      ]);
      // What a start and a run read of it: the cycle's prices and amount, as the entity gives them.
      if (full && priced)
        for (const interval of ['month', 'year'] as const)
          for (const currency of ['usd', 'eur', 'gbp', 'jpy'])
            expect([price, interval, currency, pricesFor(priced.plan, interval, currency)]).toEqual([
              price,
              interval,
              currency,
              pricesFor(full.plan, interval, currency),
            ]);
    }
    expect((await planBriefOfPrice(db.orm.em.fork(), `price_${key}_eur_y`))?.interval).toBe('year');
    expect((await planBriefOfPrice(db.orm.em.fork(), `price_${key}_gbp_m`))?.currency).toBe('gbp');
  });
});
