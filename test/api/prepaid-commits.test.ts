import fc from 'fast-check';
import type Stripe from 'stripe';
import { AuditEntry, BillingEvent, Customer, PrepaidCommit } from '../../db/entities';
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

describe.each<Dialect>(['sqlite', 'postgresql'])('prepaid commits (%s)', (dialect) => {
  const taskQueue = `prepaid-commits-${dialect}`;
  let stack: FullStack;
  let admin: string;
  beforeAll(async () => {
    stack = await startFullStack({ taskQueue, dialect });
    admin = await stack.idp.token({
      sub: 'admin-prepaid',
      email: 'admin-prepaid@example.com',
      roles: ['admin'],
    });
  }, 120_000);
  afterAll(() => stack?.stop());

  const adminCall = (method: string, path: string, body?: unknown) =>
    stack.api.request(method, `/api/v1${path}`, { token: admin, body });
  const commitsPath = (email: string) =>
    `/admin/billing/customers/${encodeURIComponent(email)}/prepaid-commits`;

  let seq = 0;
  /** A starter subscriber ($19.00 a month) on a test clock, paid through Checkout. */
  async function subscriber() {
    const who = await starterOnClock(stack, `prepaid-${dialect}-${++seq}-${Date.now()}`);
    return { ...who, renew: () => renewOnClock(stack, who) };
  }
  /** A commit's invoice as Stripe has it: what it asked and what was paid. */
  const invoiceOf = async (invoiceId: string) => {
    const i = await stack.stripe.invoices.retrieve(invoiceId);
    return { id: i.id, total: i.total, paid: i.amount_paid, status: i.status, metadata: i.metadata };
  };
  const balanceOf = async (customerId: string) =>
    ((await stack.stripe.customers.retrieve(customerId)) as Stripe.Customer).balance;

  let loops = 0;
  /** One look of the loop, then the settlement of the commit it started. */
  async function settle(email: string, commitId: string) {
    await stack.env.client.workflow.execute(commitmentsWorkflow, {
      workflowId: `prepaid-loop-${dialect}-${++loops}`,
      taskQueue,
      args: [{ maxCycles: 1 }],
    });
    await stack.env.client.workflow.getHandle(workflowIds.prepaidCommitSettlement(commitId)).result();
    return (await adminCall('GET', commitsPath(email))).body.commits[0];
  }

  it('charges the commit, credits the balance that pays the renewals, and expires what is left when the term ends; the API, the mirror and Stripe agree', async () => {
    const s = await subscriber();
    const sold = await adminCall('POST', commitsPath(s.email), {
      amount_cents: 5000,
      periods: 2,
      unused: 'expire',
    });
    expect(sold.status).toBe(201);
    expect(sold.body.commit).toMatchObject({
      amount_cents: 5000,
      amount: 50,
      currency: 'usd',
      periods: 2,
      unused: 'expire',
      status: 'active',
      starts_at: s.sub.current_period_start,
      drawn_cents: 0,
      remaining_cents: 5000,
      term_ends_at: null,
    });
    const commitId: string = sold.body.commit.id;
    const bought = await invoiceOf(sold.body.commit.invoice_id);
    expect(bought).toMatchObject({ total: 5000, paid: 5000, status: 'paid' });
    expect(bought.metadata).toEqual({ prepaid_commit: commitId });
    expect(await balanceOf(s.stripeCustomer.id)).toBe(-5000);
    // Its payment is credit on the balance: money back on the invoice as well would pay it twice.
    for (const path of ['refund', 'credit-notes']) {
      const back = await stack.api.request('POST', `/api/v1/admin/billing/invoices/${bought.id}/${path}`, {
        token: admin,
        body: { reason: 'order_change', idempotency_key: `back-${path}-${commitId}` },
      });
      expect({
        status: back.status,
        code: back.body.error?.code,
        field: back.body.error?.details?.field,
      }).toEqual({
        status: 409,
        code: 'prepaid_commit_invoice',
        field: 'params.id',
      });
    }

    // Two renewals of $19.00, each paid from the balance: the card is not charged.
    await s.renew();
    const midTerm = await waitUntil(
      () => s.call('GET', '/billing/prepaid-commits'),
      (r) => r.body?.commits?.[0]?.drawn_cents === 1900,
      'the first renewal drawn',
      60_000,
    );
    expect(midTerm.body.commits[0]).toMatchObject({
      status: 'active',
      drawn_cents: 1900,
      remaining_cents: 3100,
    });
    // The term is not over after one period: the loop settles nothing.
    await stack.env.client.workflow.execute(commitmentsWorkflow, {
      workflowId: `prepaid-loop-${dialect}-${++loops}`,
      taskQueue,
      args: [{ maxCycles: 1 }],
    });
    expect((await adminCall('GET', commitsPath(s.email))).body.commits[0].status).toBe('active');
    await s.renew();
    const renewals = (
      await stack.stripe.invoices.list({ customer: s.stripeCustomer.id, limit: 100 })
    ).data.filter((i) => i.billing_reason === 'subscription_cycle');
    expect(renewals.map((i) => [i.total, i.amount_paid])).toEqual([
      [1900, 0],
      [1900, 0],
    ]);

    const settled = await settle(s.email, commitId);
    expect(settled).toMatchObject({
      status: 'settled',
      drawn_cents: 3800,
      expired_cents: 1200,
      rolled_over_cents: 0,
      remaining_cents: 0,
      term_ends_at: (await s.getSub()).body.current_period_start,
    });
    expect(await balanceOf(s.stripeCustomer.id)).toBe(0);
    expect((await s.call('GET', '/billing/prepaid-commits')).body.commits).toEqual([settled]);

    // A second look settles nothing again, and the event went out once.
    await stack.env.client.workflow.execute(commitmentsWorkflow, {
      workflowId: `prepaid-loop-${dialect}-${++loops}`,
      taskQueue,
      args: [{ maxCycles: 1 }],
    });
    expect(await balanceOf(s.stripeCustomer.id)).toBe(0);
    const events = (
      await stack.db.orm.em.fork().find(BillingEvent, { type: 'prepaid_commit.settled' })
    ).filter((e) => (e.payload as { commit_id?: string }).commit_id === commitId);
    expect(events.map((e) => e.payload)).toEqual([
      {
        commit_id: commitId,
        amount_cents: 5000,
        currency: 'usd',
        term_ends_at: settled.term_ends_at,
        drawn_cents: 3800,
        expired_cents: 1200,
        rolled_over_cents: 0,
      },
    ]);
    const month = settled.term_ends_at.slice(0, 7);
    const revenue = await adminCall('GET', `/admin/revenue/commitments?month=${month}&currency=usd`);
    expect(revenue.body.prepaid.commits).toContainEqual({
      email: s.email,
      commit_id: commitId,
      amount_cents: 5000,
      term_ends_at: settled.term_ends_at,
      drawn_cents: 3800,
      expired_cents: 1200,
      rolled_over_cents: 0,
    });
    const all = revenue.body.prepaid.commits as {
      amount_cents: number;
      drawn_cents: number;
      expired_cents: number;
      rolled_over_cents: number;
    }[];
    expect(revenue.body.prepaid.settled).toEqual({
      commits: all.length,
      amount_cents: all.reduce((t, c) => t + c.amount_cents, 0),
      drawn_cents: all.reduce((t, c) => t + c.drawn_cents, 0),
      expired_cents: all.reduce((t, c) => t + c.expired_cents, 0),
      rolled_over_cents: all.reduce((t, c) => t + c.rolled_over_cents, 0),
    });
    // The next renewal is the card's again.
    await s.renew();
    const next = (await stack.stripe.invoices.list({ customer: s.stripeCustomer.id, limit: 1 })).data[0];
    expect({ total: next?.total, paid: next?.amount_paid }).toEqual({ total: 1900, paid: 1900 });
  }, 300_000);

  it('draws the commit by what Stripe billed in the term, to the cent, and expires or rolls over the rest (property)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 50, max: 6000 }),
        fc.integer({ min: 1, max: 2 }),
        // Starter's daily limit is 1,000 calls.
        fc.integer({ min: 0, max: 1000 }),
        fc.constantFrom('expire' as const, 'roll_over' as const),
        async (amount, periods, units, unused) => {
          const s = await subscriber();
          const sold = await adminCall('POST', commitsPath(s.email), {
            amount_cents: amount,
            periods,
            unused,
          });
          expect(sold.body.commit.status).toBe('active');
          for (let p = 0; p < periods; p++) {
            // Usage in the first period only: later periods start on the test clock, ahead of the real
            // time events are stamped with.
            if (units > 0 && p === 0) {
              const reported = await s.call('POST', '/billing/report_usage', {
                events: [{ id: `u-${s.email}-${p}`, type: 'inference', quantity: units }],
              });
              expect(reported.body).toMatchObject({ accepted: 1 });
              await rollUpOnce(stack, taskQueue, `rollup-prepaid-${dialect}-${++loops}`);
            }
            await s.renew();
          }
          const settled = await settle(s.email, sold.body.commit.id);
          const renewals = (
            await stack.stripe.invoices.list({ customer: s.stripeCustomer.id, limit: 100 })
          ).data.filter((i) => i.billing_reason === 'subscription_cycle');
          expect(renewals).toHaveLength(periods);
          const billed = renewals.reduce((t, i) => t + i.total, 0);
          const byCard = renewals.reduce((t, i) => t + i.amount_paid, 0);
          const drawn = Math.min(amount, billed);
          expect(settled).toMatchObject({
            drawn_cents: drawn,
            expired_cents: unused === 'expire' ? amount - drawn : 0,
            rolled_over_cents: unused === 'roll_over' ? amount - drawn : 0,
          });
          // What the renewals billed was paid once: from the commit or by the card.
          expect(drawn + byCard).toBe(billed);
          expect(await balanceOf(s.stripeCustomer.id)).toBe(unused === 'roll_over' ? drawn - amount : 0);
        },
      ),
      { numRuns: dialect === 'sqlite' ? 4 : 2 },
    );
  }, 600_000);

  it('leaves what is left on the balance when it rolls over, paying the next invoices', async () => {
    const s = await subscriber();
    const sold = await adminCall('POST', commitsPath(s.email), {
      amount_cents: 3000,
      periods: 1,
      unused: 'roll_over',
    });
    expect(sold.body.commit.status).toBe('active');
    await s.renew();
    const settled = await settle(s.email, sold.body.commit.id);
    expect(settled).toMatchObject({ drawn_cents: 1900, expired_cents: 0, rolled_over_cents: 1100 });
    expect(await balanceOf(s.stripeCustomer.id)).toBe(-1100);
    await s.renew();
    const next = (await stack.stripe.invoices.list({ customer: s.stripeCustomer.id, limit: 1 })).data[0];
    expect({ total: next?.total, paid: next?.amount_paid }).toEqual({ total: 1900, paid: 800 });
    // A new commit may be sold once the last has settled.
    const again = await adminCall('POST', commitsPath(s.email), {
      amount_cents: 100,
      periods: 1,
      unused: 'expire',
    });
    expect(again.status).toBe(201);
  }, 300_000);

  it('ends the term when the subscription ends first, and expires what is left', async () => {
    const s = await subscriber();
    const sold = await adminCall('POST', commitsPath(s.email), {
      amount_cents: 4000,
      periods: 6,
      unused: 'expire',
    });
    expect(sold.body.commit.status).toBe('active');
    const canceled = await s.call('POST', '/billing/subscription/cancel', { at_period_end: false });
    expect(canceled.status).toBe(200);
    // The caller no longer has a subscription once the end is mirrored.
    await waitUntil(
      () => s.call('GET', '/billing/subscription'),
      (r) => r.body?.status === 'none',
      'the subscription ended in the mirror',
      60_000,
    );
    const settled = await settle(s.email, sold.body.commit.id);
    // Whatever the final invoice drew is drawn; the rest expired, and the balance holds nothing of it.
    expect(settled.status).toBe('settled');
    expect(settled.drawn_cents + settled.expired_cents).toBe(4000);
    expect(await balanceOf(s.stripeCustomer.id)).toBe(0);
  }, 300_000);

  it('credits nothing and voids its invoice when the card cannot be charged', async () => {
    const s = await subscriber();
    // The customer's card on file now declines every charge.
    const failing = await stack.stripe.paymentMethods.attach('pm_card_chargeCustomerFail', {
      customer: s.stripeCustomer.id,
    });
    await waitUntil(
      () => s.call('GET', '/billing/payment-methods'),
      (r) => r.body?.length === 2,
      'the declining card in the mirror',
      60_000,
    );
    expect((await s.call('POST', `/billing/payment-methods/${failing.id}/default`)).status).toBe(200);
    const sold = await adminCall('POST', commitsPath(s.email), {
      amount_cents: 5000,
      periods: 3,
      unused: 'expire',
    });
    expect(sold.status).toBe(201);
    expect(sold.body.commit).toMatchObject({ status: 'declined', drawn_cents: 0, remaining_cents: 0 });
    expect(await invoiceOf(sold.body.commit.invoice_id)).toMatchObject({ status: 'void', paid: 0 });
    expect(await balanceOf(s.stripeCustomer.id)).toBe(0);
    // A declined commit does not hold the place of the next.
    const retry = await adminCall('POST', commitsPath(s.email), {
      amount_cents: 5000,
      periods: 3,
      unused: 'expire',
    });
    expect(retry.status).toBe(201);
  }, 300_000);

  it('refunds the charge and declines the commit when Stripe refuses its credit for good, so nobody pays for a commit never credited', async () => {
    const s = await subscriber();
    // The credit's one request is refused (as for a customer deleted in Stripe); nothing else is.
    stack.emulator.injectFault({
      method: 'POST',
      path: '/v1/customers/:id/balance_transactions',
      kind: 'invalidRequest',
    });
    const sold = await adminCall('POST', commitsPath(s.email), {
      amount_cents: 4000,
      periods: 2,
      unused: 'expire',
    });
    expect(stack.emulator.faults()).toHaveLength(0);
    expect(sold.status).toBe(201);
    expect(sold.body.commit).toMatchObject({ status: 'declined', drawn_cents: 0, remaining_cents: 0 });
    const commitId: string = sold.body.commit.id;
    const bought = await invoiceOf(sold.body.commit.invoice_id);
    expect(bought).toMatchObject({ total: 4000, paid: 4000, status: 'paid' });
    // Stripe: the whole charge refunded once, nothing on the balance.
    const charges = await stack.stripe.charges.list({ customer: s.stripeCustomer.id, limit: 100 });
    const paid = charges.data.filter((c) => c.amount === 4000);
    expect(paid.map((c) => [c.status, c.amount_refunded, c.refunded])).toEqual([['succeeded', 4000, true]]);
    const refunds = await stack.stripe.refunds.list({ charge: (paid[0] as Stripe.Charge).id });
    expect(refunds.data.map((r) => [r.amount, r.metadata?.['reason']])).toEqual([
      [4000, 'prepaid_commit_not_credited'],
    ]);
    expect(await balanceOf(s.stripeCustomer.id)).toBe(0);
    // The refund is audited as the engine's; the invoice is no longer held as a commit's: nothing is left.
    const audited = await stack.db.orm.em
      .fork()
      .find(AuditEntry, { action: 'invoice.refund', entityId: bought.id });
    expect(audited.map((a) => a.actorId)).toEqual(['billing-engine']);
    const again = await stack.api.request('POST', `/api/v1/admin/billing/invoices/${bought.id}/refund`, {
      token: admin,
      body: { reason: 'order_change', idempotency_key: `again-${commitId}` },
    });
    expect({ status: again.status, code: again.body.error?.code }).toEqual({
      status: 409,
      code: 'refund_exceeds_charge',
    });
    // A declined commit does not hold the place of the next, which is credited.
    const next = await adminCall('POST', commitsPath(s.email), {
      amount_cents: 4000,
      periods: 2,
      unused: 'expire',
    });
    expect(next.body.commit).toMatchObject({ status: 'active' });
    expect(await balanceOf(s.stripeCustomer.id)).toBe(-4000);
  }, 300_000);

  it('declines a commit never credited even when its refund is refused too, leaving its invoice to an admin to refund', async () => {
    const s = await subscriber();
    for (const path of ['/v1/customers/:id/balance_transactions', '/v1/refunds'])
      stack.emulator.injectFault({ method: 'POST', path, kind: 'invalidRequest' });
    const sold = await adminCall('POST', commitsPath(s.email), {
      amount_cents: 3000,
      periods: 1,
      unused: 'roll_over',
    });
    expect(stack.emulator.faults()).toHaveLength(0);
    expect(sold.body.commit).toMatchObject({ status: 'declined', remaining_cents: 0 });
    const invoiceId: string = sold.body.commit.invoice_id;
    expect(await invoiceOf(invoiceId)).toMatchObject({ status: 'paid', paid: 3000 });
    expect(await balanceOf(s.stripeCustomer.id)).toBe(0);
    // Not held as a commit's invoice any more: the admin gives the money back.
    const back = await stack.api.request('POST', `/api/v1/admin/billing/invoices/${invoiceId}/refund`, {
      token: admin,
      body: { reason: 'requested_by_customer', idempotency_key: `by-hand-${sold.body.commit.id}` },
    });
    expect(back.status).toBe(200);
    expect(back.body).toMatchObject({ amount_cents: 3000, refunded: true });
  }, 300_000);

  it('finishes a sale whose charge never started when the same sale is asked again, charging once', async () => {
    const s = await subscriber();
    // The commit is written but the API stopped before its funding started.
    const em = stack.db.orm.em.fork();
    const stuck = em.create(PrepaidCommit, {
      id: `ppc_stuck_${dialect}_${Date.now()}`,
      customerId: (await em.findOneOrFail(Customer, { email: s.email })).id,
      subscriptionId: s.sub.subscription_id,
      amountCents: 2500,
      currency: 'usd',
      periods: 2,
      unused: 'roll_over',
      status: 'funding',
      startsAt: new Date(s.sub.current_period_start),
      liveFor: s.sub.subscription_id,
      createdBy: 'admin-prepaid@example.com',
      createdAt: new Date(),
    });
    await em.flush();
    const other = await adminCall('POST', commitsPath(s.email), {
      amount_cents: 9000,
      periods: 2,
      unused: 'roll_over',
    });
    expect(other.body.error?.code).toBe('prepaid_commit_exists');
    const again = await adminCall('POST', commitsPath(s.email), {
      amount_cents: 2500,
      periods: 2,
      unused: 'roll_over',
    });
    expect(again.status).toBe(201);
    expect(again.body.commit).toMatchObject({ id: stuck.id, status: 'active', amount_cents: 2500 });
    const twice = await adminCall('POST', commitsPath(s.email), {
      amount_cents: 2500,
      periods: 2,
      unused: 'roll_over',
    });
    expect(twice.body.error?.code).toBe('prepaid_commit_exists');
    const bought = (
      await stack.stripe.invoices.list({ customer: s.stripeCustomer.id, limit: 100 })
    ).data.filter((i) => i.metadata?.['prepaid_commit'] === stuck.id);
    expect(bought.map((i) => [i.total, i.status])).toEqual([[2500, 'paid']]);
    expect(await balanceOf(s.stripeCustomer.id)).toBe(-2500);
  }, 300_000);

  it('sells one commit at a time to an admin only, audited, and refuses bad terms naming the field', async () => {
    const s = await subscriber();
    await expectRefusals(
      (body) => adminCall('POST', commitsPath(s.email), body),
      [
        [{}, 400, 'validation_failed', 'body.amount_cents'],
        [{ amount_cents: 0, periods: 1, unused: 'expire' }, 400, 'validation_failed', 'body.amount_cents'],
        [{ amount_cents: 49, periods: 1, unused: 'expire' }, 400, 'validation_failed', 'body.amount_cents'],
        [{ amount_cents: 10.5, periods: 1, unused: 'expire' }, 400, 'validation_failed', 'body.amount_cents'],
        [
          { amount_cents: '5000', periods: 1, unused: 'expire' },
          400,
          'validation_failed',
          'body.amount_cents',
        ],
        [{ amount_cents: 1e12, periods: 1, unused: 'expire' }, 400, 'validation_failed', 'body.amount_cents'],
        [{ amount_cents: 5000, periods: 0, unused: 'expire' }, 400, 'validation_failed', 'body.periods'],
        [{ amount_cents: 5000, periods: 37, unused: 'expire' }, 400, 'validation_failed', 'body.periods'],
        [{ amount_cents: 5000, periods: 1, unused: 'refund' }, 400, 'validation_failed', 'body.unused'],
        [{ amount_cents: 5000, periods: 1, unused: '\ud800' }, 400, 'validation_failed', 'body.unused'],
        [{ amount_cents: 5000, periods: '3', unused: 'expire' }, 400, 'validation_failed', 'body.periods'],
        [{ amount_cents: 5000, periods: 1.5, unused: 'expire' }, 400, 'validation_failed', 'body.periods'],
        [{ amount_cents: 5000, periods: 1, unused: 'expire\u0000' }, 400, 'validation_failed', 'body.unused'],
        [
          { amount_cents: 5000, periods: 1, unused: 'expire', currency: 'eur' },
          400,
          'validation_failed',
          undefined,
        ],
      ],
    );
    const both = await Promise.all([
      adminCall('POST', commitsPath(s.email), { amount_cents: 2000, periods: 1, unused: 'expire' }),
      adminCall('POST', commitsPath(s.email), { amount_cents: 3000, periods: 1, unused: 'expire' }),
    ]);
    expect(both.map((r) => r.status).sort()).toEqual([201, 409]);
    expect(both.find((r) => r.status === 409)?.body.error.code).toBe('prepaid_commit_exists');
    // Only one was charged and credited.
    expect(await balanceOf(s.stripeCustomer.id)).toBe(
      -both.find((r) => r.status === 201)?.body.commit.amount_cents,
    );

    const audited = await stack.db.orm.em
      .fork()
      .find(AuditEntry, { action: 'prepaid_commit.sell', entityId: s.sub.subscription_id });
    expect(audited.map((a) => a.actorEmail)).toEqual(['admin-prepaid@example.com']);
    const refused = await s.call('POST', commitsPath(s.email), {
      amount_cents: 5000,
      periods: 1,
      unused: 'expire',
    });
    expect(refused.status).toBe(403);
    const other = await subscriber();
    expect((await other.call('GET', '/billing/prepaid-commits')).body).toEqual({ commits: [] });
    const nobody = await adminCall('POST', commitsPath('nobody-prepaid@example.com'), {
      amount_cents: 5000,
      periods: 1,
      unused: 'expire',
    });
    expect(nobody.status).toBe(404);
  }, 300_000);
});
