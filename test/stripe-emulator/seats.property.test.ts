import fc from 'fast-check';
import { seatChangeProration } from '../../domain/seats';
import { customerOnClock, DAY, JAN_1_2025, monthlyPrice, startHarness, type Harness } from './harness';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(() => h.stop());

describe('a change of seats', () => {
  it('is billed as the engine prorates it: more seats invoiced at once, fewer credited on the next invoice, to the cent', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          perSeatCents: fc.integer({ min: 1, max: 100_000 }),
          from: fc.integer({ min: 1, max: 500 }),
          to: fc.integer({ min: 1, max: 500 }),
          // Any second of January's 31-day period.
          elapsed: fc.integer({ min: 1, max: 31 * DAY - 1 }),
        }),
        async (c) => {
          fc.pre(c.from !== c.to);
          const { clock, customer } = await customerOnClock(h.stripe);
          const price = await monthlyPrice(h.stripe, c.perSeatCents, 'Seat');
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
              paid: want.netCents,
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
