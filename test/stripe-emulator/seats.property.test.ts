import fc from 'fast-check';
import { seatChangeProration, stripeSeatTiers, type SeatTiers } from '../../domain/seats';
import { customerOnClock, DAY, JAN_1_2025, monthlyPrice, startHarness, type Harness } from './harness';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(() => h.stop());

/** Seat discounts: up to three bands from seat 2 to 400, each some percent off. */
const tiersArb: fc.Arbitrary<SeatTiers | null> = fc.option(
  fc
    .record({
      mode: fc.constantFrom<SeatTiers['mode']>('graduated', 'volume'),
      starts: fc.uniqueArray(fc.integer({ min: 2, max: 400 }), { minLength: 1, maxLength: 3 }),
      off: fc.integer({ min: 1, max: 100 }),
    })
    .map(({ mode, starts, off }) => ({
      mode,
      bands: [...starts]
        .sort((a, b) => a - b)
        .map((fromSeat, i) => ({ fromSeat, percentOff: Math.min(100, off + i * 7) })),
    })),
  { freq: 2 },
);

/** The price the catalog sync makes for a seat plan: per seat, or tiered by its seat discounts. */
function seatPrice(stripe: Harness['stripe'], perSeatCents: number, tiers: SeatTiers | null) {
  if (!tiers) return monthlyPrice(stripe, perSeatCents, 'Seat');
  return stripe.prices.create({
    currency: 'usd',
    billing_scheme: 'tiered',
    tiers_mode: tiers.mode,
    tiers: stripeSeatTiers(perSeatCents, tiers).map((t) => ({
      up_to: t.upTo ?? 'inf',
      unit_amount: t.unitCents,
    })),
    recurring: { interval: 'month' },
    product_data: { name: 'Seat' },
  });
}

describe('a change of seats', () => {
  it('is billed as the engine prorates it, on seat tiers too: more seats invoiced at once, fewer credited on the next invoice, to the cent', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          perSeatCents: fc.integer({ min: 1, max: 100_000 }),
          tiers: tiersArb,
          from: fc.integer({ min: 1, max: 500 }),
          to: fc.integer({ min: 1, max: 500 }),
          // Any second of January's 31-day period.
          elapsed: fc.integer({ min: 1, max: 31 * DAY - 1 }),
        }),
        async (c) => {
          fc.pre(c.from !== c.to);
          const { clock, customer } = await customerOnClock(h.stripe);
          const price = await seatPrice(h.stripe, c.perSeatCents, c.tiers);
          const sub = await h.stripe.subscriptions.create({
            customer: customer.id,
            items: [{ price: price.id, quantity: c.from }],
            default_payment_method: 'pm_card_visa',
          });
          await h.stripe.testHelpers.testClocks.advance(clock.id, { frozen_time: JAN_1_2025 + c.elapsed });
          const more = c.to > c.from;
          const item = sub.items.data[0]!;
          const changed = await h.stripe.subscriptions.update(sub.id, {
            items: [{ id: item.id, quantity: c.to }],
            proration_behavior: more ? 'always_invoice' : 'create_prorations',
          });
          const want = seatChangeProration({
            perSeatCents: c.perSeatCents,
            tiers: c.tiers,
            from: c.from,
            to: c.to,
            periodStartMs: item.current_period_start * 1000,
            periodEndMs: item.current_period_end * 1000,
            atMs: (JAN_1_2025 + c.elapsed) * 1000,
          });
          expect(changed.items.data[0]!.quantity).toBe(c.to);
          if (more) {
            // The proration invoice, paid at once by the card on file.
            const inv = await h.stripe.invoices.retrieve(changed.latest_invoice as string);
            const lines = inv.lines.data.map((l) => l.amount).sort((a, b) => a - b);
            expect({ lines, paid: inv.amount_paid }).toEqual({
              lines: [want.creditCents, want.chargeCents],
              // On volume tiers more seats may cost less: Stripe pays nothing and credits the balance.
              paid: Math.max(0, want.netCents),
            });
          } else {
            // Pending items, on the next invoice.
            const pending = await h.stripe.invoiceItems.list({ customer: customer.id, pending: true });
            const amounts = pending.data.map((i) => i.amount).sort((a, b) => a - b);
            expect(amounts).toEqual([want.creditCents, want.chargeCents]);
          }
        },
      ),
      { numRuns: 60 },
    );
  }, 120_000);
});

describe('a tiered seat price', () => {
  it("sends its tiers only when asked, as Stripe does, on the price and on a subscription's items", async () => {
    const tiers: SeatTiers = { mode: 'graduated', bands: [{ fromSeat: 11, percentOff: 20 }] };
    const price = await seatPrice(h.stripe, 1500, tiers);
    expect(price.tiers).toBeUndefined();
    const asked = await h.stripe.prices.retrieve(price.id, { expand: ['tiers'] });
    expect(asked.tiers?.map((t) => [t.up_to, t.unit_amount])).toEqual([
      [10, 1500],
      [null, 1200],
    ]);
    const { customer } = await customerOnClock(h.stripe);
    const sub = await h.stripe.subscriptions.create({
      customer: customer.id,
      items: [{ price: price.id, quantity: 12 }],
      default_payment_method: 'pm_card_visa',
      expand: ['latest_invoice'],
    });
    expect(sub.items.data[0]!.price.tiers).toBeUndefined();
    // 10 × 15.00 + 2 × 12.00.
    expect((sub.latest_invoice as { total: number }).total).toBe(17_400);
    const read = await h.stripe.subscriptions.retrieve(sub.id, { expand: ['items.data.price.tiers'] });
    expect(read.items.data[0]!.price.tiers).toHaveLength(2);
    // A price without tiers answers the expansion with none.
    const plain = await h.stripe.prices.retrieve((await monthlyPrice(h.stripe, 100)).id, {
      expand: ['tiers'],
    });
    expect(plain.tiers ?? null).toBeNull();
  });
});
