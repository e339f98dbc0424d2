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

  it("answers an admin's what-if to the cent: the preview with the extra usage equals the preview once that usage is reported (property)", async () => {
    const admin = await stack.idp.token({ sub: 'admin-what-if', email: 'ops@example.com', roles: ['admin'] });
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          known: fc.integer({ min: 0, max: 400 }),
          // The starter plan takes 1,000 units a day: known and extra stay under it.
          extra: fc.integer({ min: 1, max: 550 }),
          prepaid: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 600 })),
          coupon: fc.oneof(
            fc.constant(null),
            fc.record({ amount_off: fc.integer({ min: 1, max: 3_000 }) }),
            fc.record({ percent_off: fc.integer({ min: 1, max: 99 }) }),
          ),
        }),
        async (c) => {
          const s = await subscriber();
          if (c.coupon) {
            const coupon = await stack.stripe.coupons.create({
              ...c.coupon,
              currency: 'usd',
              duration: 'forever',
            });
            await stack.stripe.subscriptions.update(s.sub.stripe_subscription_id, {
              discounts: [{ coupon: coupon.id }],
            });
          }
          if (c.prepaid > 0) {
            const granted = await stack.api.request(
              'POST',
              `/api/v1/admin/billing/customers/${encodeURIComponent(s.email)}/credits`,
              {
                token: admin,
                body: { amount: c.prepaid, reason: 'what-if' },
                headers: { 'Idempotency-Key': `what-if-${seq}` },
              },
            );
            expect(granted.status).toBe(201);
          }
          const report = async (id: string, quantity: number) =>
            expect(
              (
                await s.call('POST', '/billing/report_usage', {
                  events: [{ id, type: 'inference', quantity }],
                })
              ).body,
            ).toMatchObject({ accepted: 1 });
          if (c.known > 0) await report(`known-${seq}`, c.known);
          await rollUp();

          const whatIf = await stack.api.request(
            'POST',
            `/api/v1/admin/billing/customers/${encodeURIComponent(s.email)}/invoices/upcoming/what-if`,
            { token: admin, body: { usage: [{ type: 'inference', units: c.extra }] } },
          );
          expect(whatIf.status).toBe(200);
          const w = whatIf.body;
          expect(w.usage_cost_after_cents - w.usage_cost_before_cents).toBe(w.extra_cents);
          // Nothing was stored: the customer's own preview is unchanged by the question.
          const own = await s.call('GET', '/billing/invoices/upcoming');
          expect(own.body.subtotal_cents).toBe(w.invoice.subtotal_cents - w.extra_cents);

          await report(`extra-${seq}`, c.extra);
          await rollUp();
          const after = (await s.call('GET', '/billing/invoices/upcoming')).body;
          expect(w.invoice.subtotal_cents).toBe(after.subtotal_cents);
          // A percent coupon is rounded line by line: the what-if's own line may round the other way.
          const slack = c.coupon && 'percent_off' in c.coupon ? 1 : 0;
          for (const k of ['discount_cents', 'total_cents', 'amount_due_cents'] as const)
            expect(Math.abs(w.invoice[k] - after[k])).toBeLessThanOrEqual(slack);
        },
      ),
      { numRuns: 6 },
    );
  }, 300_000);

  it('refuses a what-if of an unknown type, or units that are not whole and positive, naming the field', async () => {
    const s = await subscriber();
    const admin = await stack.idp.token({ sub: 'admin-what-if', email: 'ops@example.com', roles: ['admin'] });
    const ask = (body: unknown) =>
      stack.api.request(
        'POST',
        `/api/v1/admin/billing/customers/${encodeURIComponent(s.email)}/invoices/upcoming/what-if`,
        { token: admin, body },
      );
    const cases: [unknown, string][] = [
      [{ usage: [{ type: 'teleport', units: 5 }] }, 'usage.0.type'],
      [{ usage: [{ type: 'inference', units: 0 }] }, 'usage.0.units'],
      [{ usage: [{ type: 'inference', units: 2.5 }] }, 'usage.0.units'],
      [{ usage: [{ type: 'inference', units: '5' }] }, 'usage.0.units'],
      [{ usage: [{ type: 'inference', units: 1e12 }] }, 'usage.0.units'],
      [{ usage: [] }, 'usage'],
      [{ usage: [{ type: 'inference', units: 5, extra: 1 }] }, 'usage.0'],
      [{ usage: [{ type: 'inference', units: 5, direction: 'out\u0000put' }] }, 'usage.0.direction'],
      [{ usage: [{ type: 'inference', units: 5, direction: 7 }] }, 'usage.0.direction'],
      [{ usage: [{ type: 'inference', units: 5, direction: 'x'.repeat(201) }] }, 'usage.0.direction'],
    ];
    for (const [body, field] of cases) {
      const res = await ask(body);
      expect({ status: res.status, code: res.body.error?.code }).toEqual({
        status: 400,
        code: 'validation_failed',
      });
      expect(JSON.stringify(res.body.error)).toContain(field);
    }
    const asCustomer = await s.call(
      'POST',
      `/admin/billing/customers/${encodeURIComponent(s.email)}/invoices/upcoming/what-if`,
      {
        usage: [{ type: 'inference', units: 5 }],
      },
    );
    expect(asCustomer.status).toBe(403);
  }, 120_000);

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
