import fc from 'fast-check';
import {
  customerOnClock,
  rollUpOnce,
  starterOnClock,
  startFullStack,
  type FullStack,
} from '../helpers/full-stack';
import { waitUntil } from '../helpers/eventually';

const DAY_S = 86_400;
const TASK_QUEUE = 'upcoming-invoice';

describe('the upcoming invoice', () => {
  let stack: FullStack;
  beforeAll(async () => {
    stack = await startFullStack({ taskQueue: TASK_QUEUE });
  }, 120_000);
  afterAll(() => stack?.stop());

  let seq = 0;
  /** A starter subscriber on a test clock, paid through Checkout. */
  const subscriber = () => starterOnClock(stack, `upcoming-${++seq}-${Date.now()}`);

  /** The usage rollup's one pass: closed windows folded and the rated cost sent to Stripe's meter. */
  const rollUp = () => rollUpOnce(stack, TASK_QUEUE, `usage-rollup-upcoming-${Date.now()}-${seq}`);

  it('answers, to the cent and line by line, the invoice Stripe then issues and the mirror stores: plan, usage, coupon', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          units: fc.integer({ min: 0, max: 1_000 }),
          coupon: fc.oneof(
            fc.constant(null),
            fc.record({ percent_off: fc.integer({ min: 1, max: 100 }) }),
            fc.record({ amount_off: fc.integer({ min: 1, max: 5_000 }) }),
          ),
        }),
        async (c) => {
          const s = await subscriber();
          if (c.coupon) {
            const coupon = await stack.stripe.coupons.create({
              ...c.coupon,
              ...('amount_off' in c.coupon ? { currency: 'usd' } : {}),
              duration: 'forever',
            });
            await stack.stripe.subscriptions.update(s.sub.stripe_subscription_id, {
              discounts: [{ coupon: coupon.id }],
            });
          }
          if (c.units > 0) {
            const reported = await s.call('POST', '/billing/report_usage', {
              events: [{ id: `u-${seq}`, type: 'inference', quantity: c.units }],
            });
            expect(reported.body).toMatchObject({ accepted: 1 });
          }
          await rollUp();

          const upcoming = await s.call('GET', '/billing/invoices/upcoming');
          expect(upcoming.status).toBe(200);
          const u = upcoming.body;
          // The lines add up, and say what they bill.
          expect(u.lines.reduce((t: number, l: { amount_cents: number }) => t + l.amount_cents, 0)).toBe(
            u.subtotal_cents,
          );
          expect(u.total_cents).toBe(u.subtotal_cents - u.discount_cents + u.tax_cents);
          expect(u.lines.find((l: { kind: string }) => l.kind === 'plan')).toMatchObject({
            amount_cents: 1900,
          });
          const usage = (await s.call('GET', '/billing/usage')).body.credits.overage_cost_cents as number;
          expect(
            u.lines
              .filter((l: { kind: string }) => l.kind === 'usage')
              .reduce((t: number, l: { amount_cents: number }) => t + l.amount_cents, 0),
          ).toBe(usage);

          const periodEnd = Date.parse(s.sub.current_period_end);
          expect(Date.parse(u.issued_at)).toBe(periodEnd);
          await stack.stripe.testHelpers.testClocks.advance(s.clock.id, {
            frozen_time: Math.floor(periodEnd / 1000) + DAY_S,
          });
          const [issued] = (
            await stack.stripe.invoices.list({ subscription: s.sub.stripe_subscription_id, limit: 1 })
          ).data;
          expect(issued?.billing_reason).toBe('subscription_cycle');
          expect({
            subtotal: u.subtotal_cents,
            total: u.total_cents,
            due: u.amount_due_cents,
            lines: u.lines.map((l: { amount_cents: number }) => l.amount_cents).sort(),
          }).toEqual({
            subtotal: issued!.subtotal,
            total: issued!.total,
            due: issued!.amount_due,
            lines: issued!.lines.data.map((l) => l.amount).sort(),
          });
          // What the customer's invoices then say is the same money.
          const stored = await waitUntil(
            () => s.call('GET', '/billing/invoices'),
            (r) =>
              r.body?.some?.(
                (i: { id: string; status: string }) => i.id === issued!.id && i.status === 'paid',
              ),
            'the renewal in the mirror',
            60_000,
          );
          expect(stored.body.find((i: { id: string }) => i.id === issued!.id)).toMatchObject({
            total_cents: u.total_cents,
            discount_cents: u.discount_cents,
            tax_cents: u.tax_cents,
            amount_paid_cents: u.amount_due_cents,
          });
        },
      ),
      { numRuns: 5 },
    );
  }, 300_000);

  it("shows an admin a customer's upcoming invoice as the customer sees it, and no one else", async () => {
    const s = await subscriber();
    const admin = await stack.idp.token({
      sub: 'admin-upcoming',
      email: 'ops@example.com',
      roles: ['admin'],
    });
    const own = await s.call('GET', '/billing/invoices/upcoming');
    const email = encodeURIComponent(s.email);
    const seen = await stack.api.request(
      'GET',
      `/api/v1/admin/billing/customers/${email}/invoices/upcoming`,
      {
        token: admin,
      },
    );
    expect(seen.status).toBe(200);
    expect(seen.body).toEqual(own.body);
    const refused = await s.call('GET', `/admin/billing/customers/${email}/invoices/upcoming`);
    expect(refused.status).toBe(403);
    const nobody = await stack.api.request(
      'GET',
      '/api/v1/admin/billing/customers/nobody%40example.com/invoices/upcoming',
      { token: admin },
    );
    expect({ status: nobody.status, code: nobody.body.error?.code }).toEqual({
      status: 404,
      code: 'customer_not_found',
    });
  }, 120_000);

  it('answers 404 no_upcoming_invoice to a caller with no plan or one set to end', async () => {
    const s = await subscriber();
    const canceled = await s.call('POST', '/billing/subscription/cancel', {});
    expect(canceled.status).toBe(200);
    await waitUntil(s.getSub, (r) => r.body?.cancel_at_period_end === true, 'the cancellation', 30_000);
    const ending = await s.call('GET', '/billing/invoices/upcoming');
    expect({ status: ending.status, code: ending.body.error?.code }).toEqual({
      status: 404,
      code: 'no_upcoming_invoice',
    });
    const nobody = await customerOnClock(stack, `upcoming-nobody-${Date.now()}`);
    const none = await stack.api.request('GET', '/api/v1/billing/invoices/upcoming', { token: nobody.token });
    expect({ status: none.status, code: none.body.error?.code }).toEqual({
      status: 404,
      code: 'no_upcoming_invoice',
    });
  }, 120_000);
});
