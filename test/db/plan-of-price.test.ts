import { Plan } from '../../db/entities';
import { newId } from '../../db/ids';
import type { Dialect } from '../../db/orm';
import { planBriefOfPrice, planOfPrice } from '../../db/plan-prices';
import { openTestDatabase } from '../helpers/db';

describe.each<Dialect>(['sqlite', 'postgresql'])('the plan a Stripe price belongs to, on %s', (dialect) => {
  let db: Awaited<ReturnType<typeof openTestDatabase>>;
  beforeAll(async () => {
    db = await openTestDatabase(dialect);
  });
  afterAll(() => db?.close());

  it('answers the brief read as the entity read does, for its own prices, its other currencies and none', async () => {
    const em = db.orm.em.fork();
    const code = `pp-${newId('p').slice(-8)}`;
    // Stripe's price ids are letters, digits and underscores.
    const key = code.replace(/-/g, '');
    const terms = { priceMonthlyCents: 900, priceYearlyCents: 9_000, overagePer1kCents: 0, rateCard: [] };
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
      stripePriceMonthlyId: `price_${key}_m`,
      stripePriceYearlyId: `price_${key}_y`,
      currencyPrices: {
        eur: {
          ...terms,
          stripePriceMonthlyId: `price_${key}_eur_m`,
          stripePriceYearlyId: `price_${key}_eur_y`,
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
    ];
    for (const price of prices) {
      const full = await planOfPrice(db.orm.em.fork(), price).catch(() => null);
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
    }
    expect((await planBriefOfPrice(db.orm.em.fork(), `price_${key}_eur_y`))?.interval).toBe('year');
    expect((await planBriefOfPrice(db.orm.em.fork(), `price_${key}_gbp_m`))?.currency).toBe('gbp');
  });
});
