import fc from 'fast-check';
import { AuditEntry, BillingEvent, PaymentMethod } from '../../db/entities';
import type { Dialect } from '../../db/orm';
import { commitmentsWorkflow } from '../../workflows/commitments';
import { workflowIds } from '../../workflows/ids';
import {
  renewOnClock,
  rollUpOnce,
  starterOnClock,
  startFullStack,
  type FullStack,
} from '../helpers/full-stack';
import { waitUntil } from '../helpers/eventually';
import { expectRefusals } from '../helpers/refusals';

describe.each<Dialect>(['sqlite', 'postgresql'])('minimum commitments (%s)', (dialect) => {
  const taskQueue = `commitments-${dialect}`;
  let stack: FullStack;
  let admin: string;
  beforeAll(async () => {
    stack = await startFullStack({ taskQueue, dialect });
    admin = await stack.idp.token({
      sub: 'admin-commit',
      email: 'admin-commit@example.com',
      roles: ['admin'],
    });
  }, 120_000);
  afterAll(() => stack?.stop());

  const adminCall = (method: string, path: string, body?: unknown) =>
    stack.api.request(method, `/api/v1${path}`, { token: admin, body });
  const commitmentPath = (email: string) =>
    `/admin/billing/customers/${encodeURIComponent(email)}/commitment`;

  let seq = 0;
  /** A starter subscriber ($19.00 a month and metered usage) on a test clock, paid through Checkout. */
  async function subscriber() {
    const who = await starterOnClock(stack, `commit-${dialect}-${++seq}-${Date.now()}`);
    return { ...who, renew: () => renewOnClock(stack, who) };
  }

  let loops = 0;
  /** One look of the commitments loop, then the settlement of each period it started. */
  async function settle(email: string, periods: number) {
    await stack.env.client.workflow.execute(commitmentsWorkflow, {
      workflowId: `commitments-${dialect}-${++loops}`,
      taskQueue,
      args: [{ maxCycles: 1 }],
    });
    const settled = await waitUntil(
      () => adminCall('GET', commitmentPath(email)),
      (r) => r.body?.periods?.length === periods,
      `${periods} periods settled`,
      120_000,
    );
    // A period is recorded before its true-up is charged: wait for each settlement to finish.
    for (const p of settled.body.periods as { commitment_id: string; period_start: string }[])
      await stack.env.client.workflow
        .getHandle(workflowIds.commitmentTrueUp(p.commitment_id, p.period_start))
        .result();
    return settled;
  }

  /** The usage rollup's one pass: the rated cost sent to Stripe's meter. */
  const rollUp = () => rollUpOnce(stack, taskQueue, `usage-rollup-commit-${dialect}-${Date.now()}`);

  it('bills the shortfall of a period below the minimum once, on an invoice of its own that the card pays; the API, the mirror and Stripe agree', async () => {
    const s = await subscriber();
    const set = await adminCall('POST', commitmentPath(s.email), { minimum_cents: 5000 });
    expect(set.status).toBe(201);
    expect(set.body).toMatchObject({
      commitment: {
        minimum_cents: 5000,
        minimum: 50,
        currency: 'usd',
        starts_at: s.sub.current_period_end,
        ended_at: null,
      },
      periods: [],
    });
    // The first period began before the commitment: its renewal settles nothing.
    await s.renew();
    const first = await stack.env.client.workflow.execute(commitmentsWorkflow, {
      workflowId: `commitments-${dialect}-${++loops}`,
      taskQueue,
      args: [{ maxCycles: 1 }],
    });
    expect(first).toBe(1);
    expect((await adminCall('GET', commitmentPath(s.email))).body.periods).toEqual([]);

    // The second period: its $19.00 fee, billed in advance, is all it consumed.
    const covered = (await s.getSub()).body;
    await s.renew();
    const settled = await settle(s.email, 1);
    const [period] = settled.body.periods;
    expect(period).toMatchObject({
      period_start: covered.current_period_start,
      period_end: covered.current_period_end,
      minimum_cents: 5000,
      consumed_cents: 1900,
      true_up_cents: 3100,
      currency: 'usd',
    });
    const invoice = await stack.stripe.invoices.retrieve(period.invoice_id);
    expect({
      total: invoice.total,
      paid: invoice.amount_paid,
      status: invoice.status,
      subscription: (invoice as { subscription?: string | null }).subscription ?? null,
    }).toEqual({
      total: 3100,
      paid: 3100,
      status: 'paid',
      subscription: null,
    });
    expect(invoice.lines.data.map((l) => [l.amount, l.period.start, l.period.end])).toEqual([
      [3100, Date.parse(covered.current_period_start) / 1000, Date.parse(covered.current_period_end) / 1000],
    ]);
    // The customer sees the same: the commitment, the period, and the invoice in their list.
    const own = await s.call('GET', '/billing/commitment');
    expect(own.body.periods).toEqual(settled.body.periods);
    const listed = await waitUntil(
      () => s.call('GET', '/billing/invoices'),
      (r) =>
        r.body?.some?.((i: { id: string; status: string }) => i.id === invoice.id && i.status === 'paid'),
      'the true-up in the mirror',
      60_000,
    );
    expect(listed.body.find((i: { id: string }) => i.id === invoice.id)).toMatchObject({
      total_cents: 3100,
      amount_paid_cents: 3100,
    });

    // The outgoing webhooks are told once: the period settled, with its true-up invoice.
    const events = await stack.db.orm.em.fork().find(BillingEvent, { type: 'commitment.trued_up' });
    const mine = events.filter(
      (e) => (e.payload as { commitment_id?: string }).commitment_id === period.commitment_id,
    );
    expect(mine.map((e) => e.payload)).toEqual([
      {
        commitment_id: period.commitment_id,
        period_start: period.period_start,
        period_end: period.period_end,
        minimum_cents: 5000,
        consumed_cents: 1900,
        true_up_cents: 3100,
        currency: 'usd',
        invoice_id: invoice.id,
      },
    ]);

    // Revenue: committed against consumed for the month the period ended in.
    const month = period.period_end.slice(0, 7);
    const revenue = await adminCall('GET', `/admin/revenue/commitments?month=${month}&currency=usd`);
    expect(revenue.status).toBe(200);
    expect(revenue.body.periods).toContainEqual({
      email: s.email,
      period_start: period.period_start,
      period_end: period.period_end,
      minimum_cents: 5000,
      consumed_cents: 1900,
      true_up_cents: 3100,
      invoice_id: invoice.id,
    });
    const listed2 = revenue.body.periods as {
      minimum_cents: number;
      consumed_cents: number;
      true_up_cents: number;
    }[];
    expect(revenue.body.settled).toEqual({
      periods: listed2.length,
      short: listed2.filter((p) => p.true_up_cents > 0).length,
      minimum_cents: listed2.reduce((t, p) => t + p.minimum_cents, 0),
      consumed_cents: listed2.reduce((t, p) => t + p.consumed_cents, 0),
      true_up_cents: listed2.reduce((t, p) => t + p.true_up_cents, 0),
    });
    expect(revenue.body.live.monthly_minimum_cents).toBeGreaterThanOrEqual(5000);
    const badMonth = await adminCall('GET', '/admin/revenue/commitments?month=2026-13');
    expect({ status: badMonth.status, field: badMonth.body.error?.details?.field }).toEqual({
      status: 400,
      field: 'query.month',
    });

    // Another look settles nothing twice.
    await settle(s.email, 1);
    const trueUps = (
      await stack.stripe.invoices.list({ customer: s.stripeCustomer.id, limit: 100 })
    ).data.filter((i) => i.metadata?.['commitment_true_up']);
    expect(trueUps.map((i) => i.id)).toEqual([invoice.id]);
  }, 300_000);

  it('settles a period whose true-up cannot be charged, leaving its invoice open to be paid', async () => {
    const s = await subscriber();
    await adminCall('POST', commitmentPath(s.email), { minimum_cents: 4000, from: 'current_period' });
    await s.renew();
    // The card is gone by the time the period is settled.
    const cards = await stack.stripe.paymentMethods.list({ customer: s.stripeCustomer.id });
    for (const c of cards.data) await stack.stripe.paymentMethods.detach(c.id);
    await stack.db.orm.em
      .fork()
      .nativeDelete(PaymentMethod, { stripePaymentMethodId: { $in: cards.data.map((c) => c.id) } });
    const [period] = (await settle(s.email, 1)).body.periods;
    expect(period).toMatchObject({ consumed_cents: 1900, true_up_cents: 2100 });
    const result = await stack.env.client.workflow
      .getHandle(workflowIds.commitmentTrueUp(period.commitment_id, period.period_start))
      .result();
    expect(result).toMatchObject({ trueUpCents: 2100, paid: false });
    const invoice = await stack.stripe.invoices.retrieve(period.invoice_id);
    expect({ status: invoice.status, due: invoice.amount_due, paid: invoice.amount_paid }).toEqual({
      status: 'open',
      due: 2100,
      paid: 0,
    });
  }, 300_000);

  it('counts usage and fees towards the minimum, to the cent, over random usage and minimums', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: 1_000 }),
        fc.integer({ min: 1, max: 10_000 }),
        async (units, minimum) => {
          const s = await subscriber();
          // From the current period, where the gateway's usage (timed now) lands.
          const set = await adminCall('POST', commitmentPath(s.email), {
            minimum_cents: minimum,
            from: 'current_period',
          });
          expect(set.body.commitment.starts_at).toBe(s.sub.current_period_start);
          const covered = s.sub;
          if (units > 0) {
            const reported = await s.call('POST', '/billing/report_usage', {
              events: [{ id: `u-${s.email}`, type: 'inference', quantity: units }],
            });
            expect(reported.body).toMatchObject({ accepted: 1 });
          }
          await rollUp();
          await s.renew();
          const [period] = (await settle(s.email, 1)).body.periods;
          // What Stripe billed for the period: its fee (on the invoice at its start) and its usage (on the renewal).
          const invoices = (
            await stack.stripe.invoices.list({ subscription: covered.stripe_subscription_id, limit: 100 })
          ).data;
          const start = Date.parse(covered.current_period_start) / 1000;
          const end = Date.parse(covered.current_period_end) / 1000;
          const billed = invoices
            .flatMap((i) => i.lines.data)
            .filter((l) => l.period.start >= start && l.period.end <= end)
            .reduce((t, l) => t + l.amount, 0);
          expect(billed).toBeGreaterThanOrEqual(1900);
          expect(period).toMatchObject({
            consumed_cents: billed,
            true_up_cents: Math.max(0, minimum - billed),
          });
          const charged = period.invoice_id
            ? (await stack.stripe.invoices.retrieve(period.invoice_id)).amount_paid
            : 0;
          expect(charged).toBe(Math.max(0, minimum - billed));
          expect(billed + charged).toBe(Math.max(minimum, billed));
        },
      ),
      { numRuns: dialect === 'sqlite' ? 6 : 3 },
    );
  }, 600_000);

  it('lets an admin set one commitment at a time and end it at the period end, audited; refuses bad minimums naming the field', async () => {
    const s = await subscriber();
    await expectRefusals(
      (body) => adminCall('POST', commitmentPath(s.email), body),
      [
        [{}, 400, 'validation_failed', 'body.minimum_cents'],
        [{ minimum_cents: 0 }, 400, 'validation_failed', 'body.minimum_cents'],
        [{ minimum_cents: -100 }, 400, 'validation_failed', 'body.minimum_cents'],
        [{ minimum_cents: 10.5 }, 400, 'validation_failed', 'body.minimum_cents'],
        [{ minimum_cents: '5000' }, 400, 'validation_failed', 'body.minimum_cents'],
        [{ minimum_cents: 1e12 }, 400, 'validation_failed', 'body.minimum_cents'],
        [{ minimum_cents: 5000, currency: 'eur' }, 400, 'validation_failed', undefined],
        [{ minimum_cents: 5000, from: 'last_period' }, 400, 'validation_failed', 'body.from'],
      ],
    );
    // Two set at once: one wins, the other is told a commitment exists.
    const both = await Promise.all([
      adminCall('POST', commitmentPath(s.email), { minimum_cents: 5000 }),
      adminCall('POST', commitmentPath(s.email), { minimum_cents: 7000 }),
    ]);
    expect(both.map((r) => r.status).sort()).toEqual([201, 409]);
    expect(both.find((r) => r.status === 409)?.body.error.code).toBe('commitment_exists');
    const ended = await adminCall('DELETE', commitmentPath(s.email));
    expect(ended.body).toMatchObject({ commitment: null, ended: [{ ended_at: s.sub.current_period_end }] });
    expect((await adminCall('DELETE', commitmentPath(s.email))).body.error?.code).toBe(
      'commitment_not_found',
    );
    const audited = await stack.db.orm.em
      .fork()
      .find(
        AuditEntry,
        { action: { $in: ['commitment.set', 'commitment.end'] }, entityId: s.sub.subscription_id },
        { orderBy: { createdAt: 'asc' } },
      );
    expect(audited.map((a) => [a.action, a.actorEmail])).toEqual([
      ['commitment.set', 'admin-commit@example.com'],
      ['commitment.end', 'admin-commit@example.com'],
    ]);
    // Ended at the period's end, before it covered any period: the renewal settles nothing.
    await s.renew();
    await stack.env.client.workflow.execute(commitmentsWorkflow, {
      workflowId: `commitments-${dialect}-${++loops}`,
      taskQueue,
      args: [{ maxCycles: 1 }],
    });
    expect((await adminCall('GET', commitmentPath(s.email))).body.periods).toEqual([]);
    // Only admins set one; a customer reads their own.
    const refused = await s.call('POST', commitmentPath(s.email), { minimum_cents: 5000 });
    expect(refused.status).toBe(403);
    expect((await s.call('GET', '/billing/commitment')).body).toMatchObject({
      commitment: null,
      ended: [{}],
    });
    const nobody = await adminCall('POST', commitmentPath('nobody-commit@example.com'), {
      minimum_cents: 5000,
    });
    expect(nobody.status).toBe(404);
  }, 300_000);

  it('refuses a new minimum from a period an ended commitment still owes, and takes it from the next one', async () => {
    const s = await subscriber();
    const first = await adminCall('POST', commitmentPath(s.email), {
      minimum_cents: 5000,
      from: 'current_period',
    });
    expect(first.status).toBe(201);
    // Ended at the end of this period, which it still owes...
    const ended = await adminCall('DELETE', commitmentPath(s.email));
    expect(ended.body).toMatchObject({ commitment: null, ended: [{ ended_at: s.sub.current_period_end }] });
    // ...so this period cannot owe a second minimum.
    const again = await adminCall('POST', commitmentPath(s.email), {
      minimum_cents: 7000,
      from: 'current_period',
    });
    expect([again.status, again.body.error?.code, again.body.error?.details?.field]).toEqual([
      409,
      'commitment_exists',
      'body.from',
    ]);
    const next = await adminCall('POST', commitmentPath(s.email), { minimum_cents: 7000 });
    expect(next.status).toBe(201);
    expect(next.body.commitment).toMatchObject({ minimum_cents: 7000, starts_at: s.sub.current_period_end });
  }, 300_000);
});
