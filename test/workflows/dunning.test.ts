import type { WorkflowHandle } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { type dunningWorkflow, subscriptionWorkflow } from '../../workflows';
import { dunningStatus, stripeEvent, subscriptionState } from '../../workflows/messages';
import { workflowBundle } from '../helpers/temporal';
import { timeSkippingForFile } from '../helpers/time-skipping-file';
import {
  DAY,
  eventually,
  fakeBilling,
  HOUR,
  openInvoice,
  STARTER,
  stripeEventOf,
  subscriptionSnapshot,
  type FakeStripeOptions,
} from '../helpers/workflow-activities';

describe('dunning', () => {
  const server = timeSkippingForFile();
  let env: TestWorkflowEnvironment;
  beforeEach(() => {
    env = server.env;
  });

  /**
   * An active monthly subscription whose invoice `invoiceId` has just failed: Stripe shows it past due and
   * the webhook's `invoice.payment_failed` reaches the workflow, which starts `dunning-<invoiceId>`.
   */
  async function failedPayment(
    name: string,
    invoiceId: string,
    opts: Partial<FakeStripeOptions> = {},
    // What reaches the workflow between Stripe showing the subscription past due and the failure's event.
    beforeFailure?: (handle: WorkflowHandle<typeof subscriptionWorkflow>) => Promise<void>,
  ) {
    const now = await env.currentTimeMs();
    const stripeSubscriptionId = `sub_${name}`;
    const fake = fakeBilling(env, {
      subscription: subscriptionSnapshot(stripeSubscriptionId, {
        currentPeriodStart: new Date(now).toISOString(),
        currentPeriodEnd: new Date(now + 30 * DAY).toISOString(),
      }),
      invoices: [openInvoice(invoiceId, stripeSubscriptionId)],
      ...opts,
    });
    const taskQueue = `dunning-${name}`;
    const worker = await Worker.create({
      connection: env.nativeConnection,
      taskQueue,
      workflowBundle: workflowBundle(),
      activities: fake.activities,
    });
    const dunning = () => env.client.workflow.getHandle<typeof dunningWorkflow>(`dunning-${invoiceId}`);
    const run = <T>(body: (h: WorkflowHandle<typeof subscriptionWorkflow>, failedAt: number) => Promise<T>) =>
      worker.runUntil(async () => {
        const handle = await env.client.workflow.start(subscriptionWorkflow, {
          workflowId: `subscription-subs_${name}`,
          taskQueue,
          args: [
            {
              subscriptionId: `subs_${name}`,
              customerId: `cust_${name}`,
              email: `${name}@example.com`,
              plan: STARTER,
              stripeSubscriptionId,
            },
          ],
        });
        try {
          await eventually(
            () => handle.query(subscriptionState),
            (s) => s.status === 'active',
          );
          fake.subscription.status = 'past_due';
          const failedAt = await env.currentTimeMs();
          const failure = stripeEventOf('invoice.payment_failed', invoiceId, stripeSubscriptionId);
          await beforeFailure?.(handle);
          await handle.signal(stripeEvent, failure);
          // A run handed a card at its start may already have recovered: its own history says it started.
          await eventually(
            () =>
              dunning()
                .describe()
                .catch(() => null),
            (d) => d !== null,
          );
          if (!beforeFailure) {
            await eventually(
              () => handle.query(subscriptionState),
              (s) => s.dunningInvoices.includes(invoiceId) && s.status === 'past_due',
            );
          }
          return await body(handle, failedAt);
        } finally {
          // The dunning run outlives the subscription's (its parent abandons it), so both are closed.
          await server.closeRuns([handle, dunning()]);
        }
      });
    return { fake, run, dunning };
  }

  const status = (handle: WorkflowHandle<typeof subscriptionWorkflow>, want: string) =>
    eventually(
      () => handle.query(subscriptionState),
      (s) => s.status === want,
    );

  it('when a payment fails twice, access is suspended on day 3 and restored by the third retry', async () => {
    const { fake, run, dunning } = await failedPayment('recovers', 'in_1', {
      paymentSucceeds: (attempt) => attempt === 3,
    });
    await run(async (handle, failedAt) => {
      expect((await dunning().describe()).status.name).toBe('RUNNING');
      // Where the run stands, for the operator's console: waiting for the first of four retries.
      const first = await dunning().query(dunningStatus);
      expect(first).toMatchObject({
        stripeInvoiceId: 'in_1',
        attempt: 1,
        attempts: 4,
        retriesMade: 0,
        suspended: false,
      });
      expect(Date.parse(first.nextAttemptAt!) - Date.parse(first.startedAt)).toBe(DAY);

      await env.sleep(2 * DAY);
      await eventually(
        async () => fake.payments.length,
        (n) => n === 1,
      );
      expect((await handle.query(subscriptionState)).status).toBe('past_due');

      await env.sleep(2 * DAY); // day 4: the day-3 retry failed and the grace period is over
      await status(handle, 'suspended');
      expect(fake.payments).toHaveLength(2);
      expect(await dunning().query(dunningStatus)).toMatchObject({
        attempt: 3,
        retriesMade: 2,
        suspended: true,
      });

      await env.sleep(2 * DAY); // day 6: the day-5 retry pays
      const state = await status(handle, 'active');
      expect(state.dunningInvoices).toEqual([]);
      expect(await dunning().result()).toBe('recovered');

      const days = fake.payments.map((p) => (p.at - failedAt) / DAY);
      expect(fake.payments.map((p) => p.attempt)).toEqual([1, 2, 3]);
      expect(fake.payments.map((p) => p.outcome)).toEqual(['declined', 'declined', 'paid']);
      [1, 3, 5].forEach((day, i) => {
        expect(days[i]).toBeGreaterThanOrEqual(day);
        expect(days[i]).toBeLessThan(day + HOUR / DAY);
      });
    });
    expect(fake.activities.payInvoice.mock.calls.map(([req]) => req)).toEqual([
      { stripeInvoiceId: 'in_1', attempt: 1 },
      { stripeInvoiceId: 'in_1', attempt: 2 },
      { stripeInvoiceId: 'in_1', attempt: 3 },
    ]);
    expect(fake.kinds()).toEqual(['payment_failed', 'payment_retry', 'payment_retry', 'payment_retry']);
    expect(fake.activities.cancelSubscriptionNow).not.toHaveBeenCalled();
    expect(fake.activities.recordSubscriptionState).toHaveBeenCalledWith(
      expect.objectContaining({ status: 'suspended' }),
    );
  });

  it('when no retry succeeds, access is suspended and the subscription is canceled after day 7', async () => {
    const { fake, run, dunning } = await failedPayment('exhausted', 'in_2');
    const result = await run(async (handle, failedAt) => {
      const final = await handle.result();
      expect(await dunning().result()).toBe('exhausted');
      expect(fake.payments.map((p) => Math.floor((p.at - failedAt) / DAY))).toEqual([1, 3, 5, 7]);
      return final;
    });
    expect(result.status).toBe('canceled');
    expect(fake.activities.recordSubscriptionState).toHaveBeenCalledWith(
      expect.objectContaining({ status: 'suspended' }),
    );
    expect(fake.activities.cancelSubscriptionNow).toHaveBeenCalledTimes(1);
    expect(fake.activities.cancelSubscriptionNow).toHaveBeenCalledWith({
      stripeSubscriptionId: 'sub_exhausted',
      changeKey: 'dunning-exhausted:in_2',
    });
  });

  it('follows the policy an admin set when the payment failed, and keeps it though it changes later', async () => {
    const opts: Partial<FakeStripeOptions> = {
      dunningPolicy: { retryDays: [2, 4], suspendAfterDays: 1, finalAction: 'mark_unpaid' },
    };
    const { fake, run, dunning } = await failedPayment('admin-policy', 'in_5', opts);
    await run(async (handle, failedAt) => {
      expect(await dunning().result()).toBe('exhausted');
      expect(fake.payments.map((p) => Math.floor((p.at - failedAt) / DAY))).toEqual([2, 4]);
      await status(handle, 'suspended');
    });
    // Kept, with the invoice unpaid: never canceled.
    expect(fake.activities.cancelSubscriptionNow).not.toHaveBeenCalled();
    // Read once, into the run's input: a later change of the setting cannot reach a running dunning.
    expect(fake.activities.currentDunningPolicy).toHaveBeenCalledTimes(1);
  });

  it("a card added during dunning pays at once with that card, though Stripe's default is still the old one", async () => {
    // Stripe announces the card attached before the engine has made it the default: only naming the new
    // card pays the invoice (the chaos run found the retry charging the old card).
    const { fake, run, dunning } = await failedPayment('new-card', 'in_6', {
      paymentSucceeds: (_attempt, _invoice, card) => card === 'pm_new',
    });
    await run(async (handle) => {
      await handle.signal(stripeEvent, stripeEventOf('payment_method.attached', 'pm_new', null));
      expect(await dunning().result()).toBe('recovered');
      await status(handle, 'active');
    });
    expect(fake.activities.payInvoice.mock.calls.map(([req]) => req)).toEqual([
      { stripeInvoiceId: 'in_6', attempt: 1, paymentMethodId: 'pm_new' },
    ]);
  });

  it("a card added after the failure but announced before the failure's event still pays at once", async () => {
    // Webhooks arrive out of order (a delivery failed and Stripe retried it later): the customer saw the
    // subscription past due and added a card before the engine heard of the failed invoice.
    const { fake, run, dunning } = await failedPayment(
      'card-first',
      'in_7',
      { paymentSucceeds: (_attempt, _invoice, card) => card === 'pm_later' },
      async (handle) => {
        await handle.signal(stripeEvent, stripeEventOf('payment_method.attached', 'pm_later', null));
      },
    );
    await run(async (handle) => {
      expect(await dunning().result()).toBe('recovered');
      await status(handle, 'active');
    });
    expect(fake.activities.payInvoice.mock.calls.map(([req]) => req)).toEqual([
      { stripeInvoiceId: 'in_7', attempt: 1, paymentMethodId: 'pm_later' },
    ]);
  });

  it('a card attached before the payment failed waits for the retry day: it is likely the card that failed', async () => {
    const { fake, run, dunning } = await failedPayment('card-before', 'in_8', {}, async (handle) => {
      const earlier = stripeEventOf('payment_method.attached', 'pm_failing', null);
      await handle.signal(stripeEvent, { ...earlier, created: earlier.created - 3600 });
    });
    await run(async () => {
      expect(await dunning().query(dunningStatus)).toMatchObject({ attempt: 1, retriesMade: 0 });
      await env.sleep(DAY / 2);
      expect(await dunning().query(dunningStatus)).toMatchObject({ attempt: 1, retriesMade: 0 });
      expect(fake.activities.payInvoice).not.toHaveBeenCalled();
    });
  });

  it('when the invoice gets paid meanwhile, dunning stops at once without charging again', async () => {
    const { fake, run, dunning } = await failedPayment('paid-meanwhile', 'in_3');
    await run(async (handle) => {
      await env.sleep(DAY + HOUR);
      await eventually(
        async () => fake.payments.length,
        (n) => n === 1,
      );
      // The customer pays on the hosted invoice page; Stripe sends invoice.paid.
      fake.markPaid('in_3');
      await handle.signal(stripeEvent, stripeEventOf('invoice.paid', 'in_3', 'sub_paid-meanwhile'));
      expect(await dunning().result()).toBe('recovered');
      const state = await status(handle, 'active');
      expect(state.dunningInvoices).toEqual([]);
    });
    expect(fake.activities.payInvoice).toHaveBeenCalledTimes(1);
  });

  it('an invoice paid after its dunning run was terminated does not end the subscription', async () => {
    const { fake, run, dunning } = await failedPayment('terminated-run', 'in_4');
    await run(async (handle) => {
      await dunning().terminate('operator');
      fake.markPaid('in_4');
      await handle.signal(stripeEvent, stripeEventOf('invoice.paid', 'in_4', 'sub_terminated-run'));
      const state = await status(handle, 'active');
      expect(state.dunningInvoices).toEqual([]);
      expect((await handle.describe()).status.name).toBe('RUNNING');
    });
  });

  it('an invoice.paid for an invoice Stripe still shows open (stale, replayed or forged) does not end dunning', async () => {
    const { fake, run, dunning } = await failedPayment('paid-but-open', 'in_9');
    await run(async (handle) => {
      const refreshes = fake.activities.fetchSubscription.mock.calls.length;
      // Nothing was paid: Stripe still shows in_9 open when the workflow fetches it.
      await handle.signal(stripeEvent, stripeEventOf('invoice.paid', 'in_9', 'sub_paid-but-open'));
      // The handler ends with a re-read of the subscription: once that is asked for, the event is handled.
      await eventually(
        async () => fake.activities.fetchSubscription.mock.calls.length,
        (n) => n > refreshes,
      );
      expect((await handle.query(subscriptionState)).dunningInvoices).toEqual(['in_9']);
      expect((await dunning().describe()).status.name).toBe('RUNNING');
      // The run goes on chasing the invoice on its schedule.
      await env.sleep(DAY + HOUR);
      await eventually(
        async () => fake.payments.length,
        (n) => n === 1,
      );
      expect((await dunning().query(dunningStatus)).retriesMade).toBe(1);
      expect((await handle.query(subscriptionState)).status).toBe('past_due');
    });
  });
});
