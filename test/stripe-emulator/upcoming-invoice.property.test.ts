import fc from 'fast-check';
import type Stripe from 'stripe';
import { customerOnClock, DAY, JAN_1_2025, monthlyPrice, startHarness, type Harness } from './harness';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(() => h.stop());

/** What an invoice comes to, and each line's amount, discount and tax, in the order Stripe lists them. */
function money(inv: Stripe.Invoice) {
  const lines = inv.lines.data.map((l) => ({
    amount: l.amount,
    description: l.description,
    discount: (l.discount_amounts ?? []).reduce((s, d) => s + d.amount, 0),
    tax: (l.taxes ?? []).reduce((s, t) => s + t.amount, 0),
  }));
  lines.sort((a, b) => a.amount - b.amount || String(a.description).localeCompare(String(b.description)));
  return {
    subtotal: inv.subtotal,
    discount: (inv.total_discount_amounts ?? []).reduce((s, d) => s + d.amount, 0),
    tax: (inv.total_taxes ?? []).reduce((s, t) => s + t.amount, 0),
    total: inv.total,
    amountDue: inv.amount_due,
    periodEnd: inv.period_end,
    lines,
  };
}

const coupon = fc.oneof(
  fc.constant(null),
  fc.record({
    kind: fc.constant('percent' as const),
    percent: fc.integer({ min: 1, max: 100 }),
    duration: fc.constantFrom('once' as const, 'forever' as const),
  }),
  fc.record({
    kind: fc.constant('amount' as const),
    cents: fc.integer({ min: 1, max: 20_000 }),
    duration: fc.constantFrom('once' as const, 'forever' as const),
  }),
);

describe('the upcoming invoice', () => {
  it('is, to the cent and line by line, the renewal invoice Stripe then issues: plan, usage, prorations, coupon and tax', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          priceCents: fc.integer({ min: 0, max: 50_000 }),
          usageUnits: fc.integer({ min: 0, max: 100_000 }),
          upgradeToCents: fc.option(fc.integer({ min: 1, max: 90_000 }), { nil: null }),
          coupon,
          taxCountry: fc.constantFrom(null, 'DE', 'FR', 'US'),
        }),
        async (c) => {
          const { clock, customer } = await customerOnClock(h.stripe);
          if (c.taxCountry)
            await h.stripe.customers.update(customer.id, { address: { country: c.taxCountry } });
          const plan = await monthlyPrice(h.stripe, c.priceCents);
          const eventName = `usage_${customer.id}`;
          const meter = await h.stripe.billing.meters.create({
            display_name: 'Usage cost',
            event_name: eventName,
            default_aggregation: { formula: 'last' },
          });
          const usage = await h.stripe.prices.create({
            currency: 'usd',
            unit_amount: 1,
            recurring: { interval: 'month', usage_type: 'metered', meter: meter.id },
            product_data: { name: 'Usage' },
          });
          const discounts: Stripe.SubscriptionCreateParams.Discount[] = [];
          if (c.coupon) {
            const made = await h.stripe.coupons.create(
              c.coupon.kind === 'percent'
                ? { percent_off: c.coupon.percent, duration: c.coupon.duration }
                : { amount_off: c.coupon.cents, currency: 'usd', duration: c.coupon.duration },
            );
            discounts.push({ coupon: made.id });
          }
          const sub = await h.stripe.subscriptions.create({
            customer: customer.id,
            items: [{ price: plan.id }, { price: usage.id }],
            default_payment_method: 'pm_card_visa',
            discounts,
            ...(c.taxCountry ? { automatic_tax: { enabled: true } } : {}),
          });
          await h.stripe.testHelpers.testClocks.advance(clock.id, { frozen_time: JAN_1_2025 + 10 * DAY });
          if (c.upgradeToCents !== null) {
            const bigger = await monthlyPrice(h.stripe, c.upgradeToCents, 'Bigger');
            const item = sub.items.data.find((i) => i.price.id === plan.id)!;
            await h.stripe.subscriptions.update(sub.id, {
              items: [{ id: item.id, price: bigger.id }],
              proration_behavior: 'create_prorations',
            });
          }
          if (c.usageUnits > 0)
            await h.stripe.billing.meterEvents.create({
              event_name: eventName,
              identifier: `cost:${customer.id}`,
              payload: { stripe_customer_id: customer.id, value: String(c.usageUnits) },
            });

          const preview = await h.stripe.invoices.createPreview({ subscription: sub.id });
          await h.stripe.testHelpers.testClocks.advance(clock.id, { frozen_time: JAN_1_2025 + 32 * DAY });
          const [issued] = (await h.stripe.invoices.list({ subscription: sub.id, limit: 1 })).data;
          expect(issued?.billing_reason).toBe('subscription_cycle');
          expect(money(preview)).toEqual(money(issued!));
        },
      ),
      { numRuns: 25 },
    );
  }, 120_000);
});
