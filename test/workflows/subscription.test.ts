import {
  WithStartWorkflowOperation,
  WorkflowUpdateFailedError,
  type WorkflowHandle,
  type WorkflowStartOptions,
} from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { subscriptionWorkflow } from '../../workflows';
import {
  beginCheckout,
  cancelPendingChange,
  cancelSubscription,
  changePlan,
  pauseSubscription,
  resumeSubscription,
  stripeEvent,
  subscriptionState,
  type CheckoutResult,
} from '../../workflows/messages';
import { SubscriptionStatus } from '../../workflows/search-attributes';
import type { SubscriptionInput } from '../../workflows/subscription';
import { workflowBundle } from '../helpers/temporal';
import { timeSkippingForFile } from '../helpers/time-skipping-file';
import { waitUntil } from '../helpers/eventually';
import {
  DAY,
  eventually,
  fakeBilling,
  HOUR,
  openInvoice,
  PRO_CHANGE,
  STARTER,
  stripeEventOf,
  PAID_TRIAL,
  TRIAL,
  subscriptionSnapshot,
  type FakeStripeOptions,
} from '../helpers/workflow-activities';

const STARTER_CHANGE = {
  planCode: 'starter',
  planId: 'plan_starter',
  priceId: 'price_starter_m',
  amountCents: 1900,
  interval: 'month' as const,
};

describe('subscription workflow', () => {
  const server = timeSkippingForFile();
  let env: TestWorkflowEnvironment;
  beforeEach(() => {
    env = server.env;
  });

  /** One worker on its own task queue, a fake Stripe, and a started subscription workflow. */
  async function scenario(
    name: string,
    opts: FakeStripeOptions,
    input: {
      stripeSubscriptionId?: string;
      plan?: typeof STARTER;
      historyLimit?: number;
      continuation?: SubscriptionInput['continuation'];
    } = {},
  ) {
    const fake = fakeBilling(env, opts);
    const taskQueue = `subscription-${name}`;
    const worker = await Worker.create({
      connection: env.nativeConnection,
      taskQueue,
      workflowBundle: workflowBundle(),
      activities: fake.activities,
    });
    const subscriptionId = `subs_${name}`;
    const options = {
      workflowId: `subscription-${subscriptionId}`,
      taskQueue,
      args: [
        {
          subscriptionId,
          customerId: `cust_${name}`,
          email: `${name}@example.com`,
          plan: input.plan ?? STARTER,
          stripeSubscriptionId: input.stripeSubscriptionId,
          historyLimit: input.historyLimit,
          ...(input.continuation ? { continuation: input.continuation } : {}),
        },
      ] as [SubscriptionInput],
    };
    type Start = (o: typeof options) => Promise<WorkflowHandle<typeof subscriptionWorkflow>>;
    /** `start` begins the run as the test needs it (the API's checkout starts it with an Update). */
    const run = async <T>(
      body: (h: WorkflowHandle<typeof subscriptionWorkflow>) => Promise<T>,
      start: Start = (o) => env.client.workflow.start(subscriptionWorkflow, o),
    ) =>
      worker.runUntil(async () => {
        const handle = await start(options);
        try {
          return await body(handle);
        } finally {
          await server.closeRuns([handle]);
        }
      });
    return { fake, run, subscriptionId };
  }

  async function activeMonthly(name: string) {
    const now = await env.currentTimeMs();
    const periodEnd = new Date(now + 20 * DAY).toISOString();
    const s = await scenario(
      name,
      {
        subscription: subscriptionSnapshot(`sub_${name}`, {
          currentPeriodStart: new Date(now - 10 * DAY).toISOString(),
          currentPeriodEnd: periodEnd,
        }),
      },
      { stripeSubscriptionId: `sub_${name}` },
    );
    return { ...s, now, periodEnd };
  }

  /** A trial-tier subscription as Checkout leaves it: trialing 7 days on the $1 price, a card on file. */
  async function trialTier(
    name: string,
    input: { continuation?: SubscriptionInput['continuation']; plan?: typeof TRIAL } = {},
    opts: Partial<FakeStripeOptions> = {},
  ) {
    const start = await env.currentTimeMs();
    const trialEnd = start + 7 * DAY;
    const s = await scenario(
      name,
      {
        subscription: subscriptionSnapshot(`sub_${name}`, {
          status: 'trialing',
          priceId: 'price_trial_m',
          amountCents: 100,
          trialEnd: new Date(trialEnd).toISOString(),
          currentPeriodStart: new Date(start).toISOString(),
          currentPeriodEnd: new Date(trialEnd).toISOString(),
        }),
        // Were the engine to leave it to Stripe, Stripe would convert it at $1/month soon after the end.
        trialConversionLagMs: 0,
        ...opts,
      },
      { plan: TRIAL, ...input },
    );
    const began = (handle: WorkflowHandle) =>
      handle
        .signal(stripeEvent, stripeEventOf('customer.subscription.created', `sub_${name}`, `sub_${name}`))
        .then(() =>
          eventually(
            () => handle.query(subscriptionState),
            (x) => x.status === 'trialing',
          ),
        );
    return { ...s, start, trialEnd, began };
  }

  it('ends a trial-tier trial nobody chose a plan for on day 7, card or not: expired, never billed, Keycloak and Lago told', async () => {
    const { fake, run, trialEnd, began, subscriptionId } = await trialTier('trial-tier-expires');
    const result = await run(async (handle) => {
      await began(handle);
      return handle.result();
    });
    expect(result.status).toBe('expired');
    const endedAt = Date.parse(fake.subscription.canceledAt ?? '');
    expect(endedAt).toBeLessThanOrEqual(trialEnd);
    expect(endedAt).toBeGreaterThan(trialEnd - 2 * HOUR);
    expect(fake.activities.cancelSubscriptionNow).toHaveBeenCalledTimes(1);
    expect(fake.activities.cancelSubscriptionNow).toHaveBeenCalledWith({
      stripeSubscriptionId: 'sub_trial-tier-expires',
      changeKey: `trial-expired:${subscriptionId}`,
    });
    expect(fake.activities.changeSubscriptionPrice).not.toHaveBeenCalled();
    expect(fake.renewals).toEqual([]);
    expect(fake.activities.recordSubscriptionState).toHaveBeenLastCalledWith(
      expect.objectContaining({ status: 'expired' }),
    );
    // Keycloak follows: the last sync says expired.
    expect(fake.activities.syncKeycloakUser).toHaveBeenLastCalledWith(
      expect.objectContaining({
        attributes: expect.objectContaining({ subscription_status: 'expired', subscription_tier: 'trial' }),
      }),
    );
    // Lago follows: the last sync hands it the expired status, on which Lago's subscription is terminated.
    expect(fake.activities.syncLagoCustomer).toHaveBeenLastCalledWith({
      customerId: 'cust_trial-tier-expires',
      email: 'trial-tier-expires@example.com',
    });
    expect(fake.activities.syncLagoSubscription).toHaveBeenLastCalledWith({
      subscriptionId,
      customerId: 'cust_trial-tier-expires',
      planCode: 'trial',
      status: 'expired',
    });
    expect(fake.kinds()).toEqual(['trial_will_end']);
    const reminderAt = fake.notifications[0]?.at ?? 0;
    expect(reminderAt).toBeGreaterThanOrEqual(trialEnd - 2 * DAY);
    expect(reminderAt).toBeLessThan(trialEnd - 2 * DAY + HOUR);
  });

  it('converts a trial-tier trial to the plan picked during it, on day 7 without a new checkout', async () => {
    const { fake, run, trialEnd, began } = await trialTier('trial-tier-continues');
    await run(async (handle) => {
      await began(handle);
      await env.sleep(2 * DAY);
      const picked = await handle.executeUpdate(changePlan, {
        args: [{ ...STARTER_CHANGE, when: 'period_end', requestId: 'req_continue' }],
      });
      expect(picked).toMatchObject({ status: 'scheduled', tier: 'starter' });
      expect(picked.effectiveAt).toBe(new Date(trialEnd).toISOString());
      // Still the trial until day 7.
      await env.sleep(4 * DAY);
      expect(await handle.query(subscriptionState)).toMatchObject({ status: 'trialing', tier: 'trial' });
      expect(fake.kinds()).toEqual(['trial_will_end']);
      expect(fake.notifications[0]?.input.payload).toMatchObject({ continuation: { tier: 'starter' } });

      await env.sleep(DAY);
      const state = await eventually(
        () => handle.query(subscriptionState),
        (x) => x.status === 'active',
      );
      expect(state).toMatchObject({ tier: 'starter', amountCents: 1900, pendingChange: null });
    });
    expect(fake.activities.changeSubscriptionPrice).toHaveBeenCalledTimes(1);
    expect(fake.activities.changeSubscriptionPrice).toHaveBeenCalledWith(
      expect.objectContaining({
        priceId: 'price_starter_m',
        prorationBehavior: 'none',
        endTrialNow: true,
        changeKey: 'req_continue',
      }),
    );
    expect(fake.activities.cancelSubscriptionNow).not.toHaveBeenCalled();
    // The first paid period is billed at the picked plan's price, never at the trial's $1.
    expect(fake.renewals).toEqual([
      expect.objectContaining({ priceId: 'price_starter_m', amountCents: 1900 }),
    ]);
  });

  it('converts a trial-tier trial to the plan picked at signup on day 7, billing that plan and no more checkout', async () => {
    const { fake, run, trialEnd, began } = await trialTier('trial-tier-signup-pick', {
      continuation: { ...STARTER_CHANGE, requestId: 'signup:subs_trial-tier-signup-pick' },
    });
    await run(async (handle) => {
      await began(handle);
      // The pick waits for the trial's end, shown in the mirror as the pending change.
      const trialing = await eventually(
        () => handle.query(subscriptionState),
        (x) => x.pendingChange !== null,
      );
      expect(trialing).toMatchObject({
        status: 'trialing',
        tier: 'trial',
        pendingChange: { planCode: 'starter', effectiveAt: new Date(trialEnd).toISOString() },
      });
      // The mirror is written by an activity after the state changes, so it may lag the query.
      const mirrored = await eventually(
        () => Promise.resolve(fake.mirror.pending),
        (p) => p !== null,
      );
      expect(mirrored).toEqual({
        tier: 'starter',
        interval: 'month',
        amountCents: 1900,
        effectiveAt: new Date(trialEnd).toISOString(),
      });
      await env.sleep(7 * DAY);
      const state = await eventually(
        () => handle.query(subscriptionState),
        (x) => x.status === 'active',
      );
      expect(state).toMatchObject({ tier: 'starter', amountCents: 1900, pendingChange: null });
    });
    expect(fake.activities.createCheckoutSession).not.toHaveBeenCalled();
    expect(fake.activities.changeSubscriptionPrice).toHaveBeenCalledTimes(1);
    expect(fake.activities.changeSubscriptionPrice).toHaveBeenCalledWith(
      expect.objectContaining({
        priceId: 'price_starter_m',
        prorationBehavior: 'none',
        endTrialNow: true,
        changeKey: 'signup:subs_trial-tier-signup-pick',
      }),
    );
    expect(fake.activities.cancelSubscriptionNow).not.toHaveBeenCalled();
    expect(fake.renewals).toEqual([
      expect.objectContaining({ priceId: 'price_starter_m', amountCents: 1900 }),
    ]);
    expect(fake.notifications.map((n) => n.input.payload)).toEqual([
      expect.objectContaining({ continuation: { tier: 'starter', interval: 'month' } }),
    ]);
  });

  it('starts a trial paid with a card no trial used, claims that card for it, and has Stripe end it on day 7 unless converted', async () => {
    const { fake, run, began, subscriptionId, trialEnd } = await trialTier('trial-card-claimed', {
      plan: PAID_TRIAL,
    });
    await run(async (handle) => {
      await began(handle);
      // Claiming the card and setting Stripe's end follow the start; wait for them, not for a quiet moment.
      await eventually(
        async () => fake.activities.setCancelAt.mock.calls.length,
        (n) => n >= 1,
      );
    });
    expect(fake.activities.claimTrialCard).toHaveBeenCalledTimes(1);
    expect(fake.activities.claimTrialCard).toHaveBeenCalledWith({
      subscriptionId,
      stripeSubscriptionId: 'sub_trial-card-claimed',
    });
    expect(fake.activities.cancelSubscriptionNow).not.toHaveBeenCalled();
    expect(fake.activities.refundInvoiceCharge).not.toHaveBeenCalled();
    expect(fake.activities.setCancelAt).toHaveBeenCalledWith({
      stripeSubscriptionId: 'sub_trial-card-claimed',
      at: new Date(trialEnd).toISOString(),
      changeKey: `trial-ends:${subscriptionId}`,
    });
  });

  it('refuses a trial whose card already paid for another trial: ended before any access, the $1.00 refunded', async () => {
    const { fake, run, subscriptionId } = await trialTier(
      'trial-card-taken',
      { plan: PAID_TRIAL },
      { trialCardTaken: true },
    );
    const result = await run(async (handle) => {
      await handle.signal(
        stripeEvent,
        stripeEventOf('customer.subscription.created', 'sub_trial-card-taken', 'sub_trial-card-taken'),
      );
      return handle.result();
    });
    expect(result.status).toBe('canceled');
    expect(fake.activities.cancelSubscriptionNow).toHaveBeenCalledWith({
      stripeSubscriptionId: 'sub_trial-card-taken',
      changeKey: `trial-refused:${subscriptionId}`,
    });
    expect(fake.activities.refundInvoiceCharge).toHaveBeenCalledWith(
      expect.objectContaining({
        invoiceId: 'in_signup_sub_trial-card-taken',
        idempotencyKey: `trial-refused:${subscriptionId}`,
      }),
    );
    expect(fake.kinds()).toEqual(['trial_refused']);
    // Its invoice is read into the mirror (this fake has none: the refusal stands all the same).
    expect(fake.activities.fetchInvoice).toHaveBeenCalledWith('in_signup_sub_trial-card-taken');
    expect(fake.activities.setCancelAt).not.toHaveBeenCalled();
    // Access was never granted: neither the mirror nor Keycloak ever heard of a running trial.
    const statuses = fake.activities.recordSubscriptionState.mock.calls.map(([r]) => r.status);
    expect(statuses).toEqual(['canceled']);
    const keycloak = fake.activities.syncKeycloakUser.mock.calls.map(
      ([r]) => r.attributes.subscription_status,
    );
    expect(keycloak).not.toContain('trialing');
    expect(fake.activities.changeSubscriptionPrice).not.toHaveBeenCalled();
  });

  it('has Stripe end a resumed trial on day 7 again, as resuming clears its end', async () => {
    const { fake, run, began, trialEnd } = await trialTier('trial-resumed', { plan: PAID_TRIAL });
    await run(async (handle) => {
      await began(handle);
      await handle.executeUpdate(cancelSubscription, {
        args: [{ atPeriodEnd: true, requestId: 'req_cancel' }],
      });
      await handle.executeUpdate(resumeSubscription, { args: [{ requestId: 'req_resume' }] });
    });
    expect(fake.activities.setCancelAt.mock.calls.map(([r]) => [r.at, r.changeKey])).toEqual([
      [new Date(trialEnd).toISOString(), 'trial-ends:subs_trial-resumed'],
      [new Date(trialEnd).toISOString(), 'trial-ends:subs_trial-resumed:req_resume'],
    ]);
  });

  it('ends a trial-tier trial whose customer picked a plan and then canceled', async () => {
    const { fake, run, began } = await trialTier('trial-tier-pick-cancel');
    const result = await run(async (handle) => {
      await began(handle);
      await handle.executeUpdate(changePlan, {
        args: [{ ...STARTER_CHANGE, when: 'period_end', requestId: 'req_pick' }],
      });
      await handle.executeUpdate(cancelSubscription, {
        args: [{ atPeriodEnd: true, requestId: 'req_cancel' }],
      });
      return handle.result();
    });
    expect(result.status).toBe('expired');
    expect(fake.activities.changeSubscriptionPrice).not.toHaveBeenCalled();
    expect(fake.renewals).toEqual([]);
  });

  it('a subscription deleted in Stripe falls back to no paid services and never starts a trial', async () => {
    const { fake, run } = await scenario(
      'deleted-no-trial',
      {
        subscription: subscriptionSnapshot('sub_deleted', {
          status: 'canceled',
          canceledAt: new Date(await env.currentTimeMs()).toISOString(),
        }),
      },
      { stripeSubscriptionId: 'sub_deleted', plan: TRIAL },
    );
    const result = await run(async (handle) => {
      await handle.signal(
        stripeEvent,
        stripeEventOf('customer.subscription.deleted', 'sub_deleted', 'sub_deleted'),
      );
      return handle.result();
    });
    expect(result).toMatchObject({ status: 'canceled', trialEnd: null });
    expect(fake.activities.createCheckoutSession).not.toHaveBeenCalled();
    expect(fake.activities.changeSubscriptionPrice).not.toHaveBeenCalled();
    expect(fake.kinds()).toEqual([]);
    expect(fake.activities.syncKeycloakUser).toHaveBeenLastCalledWith(
      expect.objectContaining({ attributes: expect.objectContaining({ subscription_status: 'canceled' }) }),
    );
  });

  it('converts a paid plan trial with a card on file: reminds 2 days before the end and never cancels', async () => {
    const start = await env.currentTimeMs();
    const trialEnd = start + 7 * DAY;
    // Stripe converts a little after the trial's end, later than the workflow's grace hour.
    const { fake, run } = await scenario('trial-converts', {
      subscription: subscriptionSnapshot('sub_trial1', {
        status: 'trialing',
        trialEnd: new Date(trialEnd).toISOString(),
        currentPeriodStart: new Date(start).toISOString(),
        currentPeriodEnd: new Date(trialEnd).toISOString(),
      }),
      trialConversionLagMs: 90 * 60 * 1000,
    });
    await run(async (handle) => {
      await handle.signal(
        stripeEvent,
        stripeEventOf('customer.subscription.created', 'sub_trial1', 'sub_trial1'),
      );
      await eventually(
        () => handle.query(subscriptionState),
        (s) => s.status === 'trialing',
      );
      await env.sleep(7 * DAY + 3 * HOUR);
      await handle.signal(
        stripeEvent,
        stripeEventOf('customer.subscription.updated', 'sub_trial1', 'sub_trial1'),
      );
      const state = await eventually(
        () => handle.query(subscriptionState),
        (s) => s.status === 'active',
      );
      expect(state.trialReminderSent).toBe(true);
    });
    expect(fake.activities.cancelSubscriptionNow).not.toHaveBeenCalled();
    expect(fake.kinds()).toEqual(['trial_will_end']);
    const reminderAt = fake.notifications[0]?.at ?? 0;
    expect(reminderAt).toBeGreaterThanOrEqual(trialEnd - 2 * DAY);
    expect(reminderAt).toBeLessThan(trialEnd - 2 * DAY + HOUR);
    // While Stripe is late to convert, the workflow checks back hourly rather than spinning.
    expect(fake.activities.fetchSubscription.mock.calls.length).toBeLessThanOrEqual(5);
  });

  it('expires a trial without a payment method: cancels in Stripe once and ends as expired', async () => {
    const start = await env.currentTimeMs();
    const trialEnd = start + 7 * DAY;
    const { fake, run } = await scenario('trial-expires', {
      subscription: subscriptionSnapshot('sub_trial2', {
        status: 'trialing',
        trialEnd: new Date(trialEnd).toISOString(),
        hasPaymentMethod: false,
      }),
      customerHasPaymentMethod: false,
    });
    const result = await run(async (handle) => {
      await handle.signal(
        stripeEvent,
        stripeEventOf('customer.subscription.created', 'sub_trial2', 'sub_trial2'),
      );
      return handle.result();
    });
    expect(result.status).toBe('expired');
    expect(fake.activities.cancelSubscriptionNow).toHaveBeenCalledTimes(1);
    expect(fake.activities.cancelSubscriptionNow).toHaveBeenCalledWith({
      stripeSubscriptionId: 'sub_trial2',
      changeKey: 'trial-expired:subs_trial-expires',
    });
    expect(fake.activities.customerHasPaymentMethod).toHaveBeenCalledWith('cust_trial-expires');
    expect(fake.activities.recordSubscriptionState).toHaveBeenLastCalledWith(
      expect.objectContaining({ status: 'expired' }),
    );
    expect(fake.kinds()).toEqual(['trial_will_end']);
  });

  it('leaves a trial begun without a card to Stripe when its plan asks for one: paused, never canceled, and resumed with the first card added', async () => {
    const start = await env.currentTimeMs();
    const trialEnd = start + 14 * DAY;
    const { fake, run, subscriptionId } = await scenario(
      'cardless-ask',
      {
        subscription: subscriptionSnapshot('sub_cardless', {
          status: 'trialing',
          trialEnd: new Date(trialEnd).toISOString(),
          currentPeriodStart: new Date(start).toISOString(),
          currentPeriodEnd: new Date(trialEnd).toISOString(),
          hasPaymentMethod: false,
        }),
        customerHasPaymentMethod: false,
      },
      { plan: { ...STARTER, trialDays: 14, trialWithoutCard: 'ask_for_card' } },
    );
    /**
     * The status the mirror was last told, polled without queries: a query while the run's local steps are
     * under way holds them up on the time-skipping server.
     */
    const recorded = (status: string) =>
      waitUntil(
        async () => fake.activities.recordSubscriptionState.mock.calls.at(-1)?.[0].status,
        (s) => s === status,
        `the mirror to show ${status}`,
        30_000,
        200,
      );
    await run(async (handle) => {
      await handle.signal(
        stripeEvent,
        stripeEventOf('customer.subscription.created', 'sub_cardless', 'sub_cardless'),
      );
      await recorded('trialing');
      // Past the end and its grace hour, Stripe has not paused it yet: the workflow waits, canceling nothing
      // (and looks again an hour after its first look).
      await env.sleep(trialEnd + 90 * 60_000 - (await env.currentTimeMs()));
      expect(fake.activities.fetchSubscription).toHaveBeenCalled();
      expect(fake.activities.recordSubscriptionState.mock.calls.at(-1)?.[0].status).toBe('trialing');

      fake.subscription.status = 'paused';
      await handle.signal(
        stripeEvent,
        stripeEventOf('customer.subscription.paused', 'sub_cardless', 'sub_cardless'),
      );
      await recorded('paused');
      expect(fake.activities.recordSubscriptionState).toHaveBeenLastCalledWith(
        expect.objectContaining({ snapshot: expect.objectContaining({ status: 'paused' }) }),
      );

      await handle.signal(stripeEvent, stripeEventOf('payment_method.attached', 'pm_new', null));
      await recorded('active');
    });
    expect(fake.activities.keepTrialCard).toHaveBeenCalledTimes(1);
    expect(fake.activities.keepTrialCard).toHaveBeenCalledWith({
      stripeSubscriptionId: 'sub_cardless',
      stripeCustomerId: 'cus_sub_cardless',
      paymentMethodId: 'pm_new',
      resume: true,
      changeKey: `${subscriptionId}:pm_new`,
    });
    expect(fake.activities.cancelSubscriptionNow).not.toHaveBeenCalled();
    expect(fake.renewals).toEqual([
      expect.objectContaining({ priceId: 'price_starter_m', amountCents: 1900 }),
    ]);
  });

  it('upgrades mid-period at once, invoicing the proration', async () => {
    const { fake, run } = await activeMonthly('upgrade');
    await run(async (handle) => {
      await eventually(
        () => handle.query(subscriptionState),
        (s) => s.status === 'active',
      );
      const result = await handle.executeUpdate(changePlan, {
        args: [{ ...PRO_CHANGE, when: 'now', requestId: 'req_up1' }],
      });
      expect(result).toMatchObject({ status: 'applied', tier: 'pro' });
      const state = await handle.query(subscriptionState);
      expect(state).toMatchObject({ tier: 'pro', amountCents: 4900, status: 'active', pendingChange: null });
      // The new plan's metered overage price came along as a second item.
      expect(state.usageItemId).toBe('si_usage_sub_upgrade');
    });
    expect(fake.activities.changeSubscriptionPrice).toHaveBeenCalledTimes(1);
    expect(fake.activities.changeSubscriptionPrice).toHaveBeenCalledWith({
      stripeSubscriptionId: 'sub_upgrade',
      itemId: 'si_sub_upgrade',
      priceId: 'price_pro_m',
      usageItemId: null,
      usagePriceId: 'price_pro_usage_m',
      prorationBehavior: 'always_invoice',
      changeKey: 'req_up1',
    });
    expect(fake.activities.recordSubscriptionState).toHaveBeenLastCalledWith({
      subscriptionId: 'subs_upgrade',
      snapshot: expect.objectContaining({ priceId: 'price_pro_m', amountCents: 4900 }),
      status: 'active',
    });
  });

  it("gives a subscription made without the usage item its plan's metered price, once, without proration", async () => {
    const now = await env.currentTimeMs();
    const { fake, run } = await scenario(
      'usage-backfill',
      {
        subscription: subscriptionSnapshot('sub_usage-backfill', {
          currentPeriodStart: new Date(now - 10 * DAY).toISOString(),
          currentPeriodEnd: new Date(now + 20 * DAY).toISOString(),
        }),
        usagePrices: { price_starter_m: 'price_starter_usage_m' },
      },
      { stripeSubscriptionId: 'sub_usage-backfill' },
    );
    await run(async (handle) => {
      const state = await eventually(
        () => handle.query(subscriptionState),
        (s) => Boolean(s.usageItemId),
      );
      expect(state).toMatchObject({ status: 'active', tier: 'starter', priceId: 'price_starter_m' });
      // Later events re-read Stripe but add nothing more.
      await handle.signal(
        stripeEvent,
        stripeEventOf('customer.subscription.updated', 'sub_usage-backfill', 'sub_usage-backfill'),
      );
      await eventually(
        async () => fake.activities.fetchSubscription.mock.calls.length,
        (n) => n >= 2,
      );
    });
    expect(fake.activities.usagePriceFor).toHaveBeenCalledTimes(1);
    expect(fake.activities.changeSubscriptionPrice).toHaveBeenCalledTimes(1);
    expect(fake.activities.changeSubscriptionPrice).toHaveBeenCalledWith({
      stripeSubscriptionId: 'sub_usage-backfill',
      itemId: 'si_sub_usage-backfill',
      priceId: 'price_starter_m',
      usageItemId: null,
      usagePriceId: 'price_starter_usage_m',
      prorationBehavior: 'none',
      changeKey: 'usage-item:subs_usage-backfill:price_starter_usage_m',
    });
  });

  it('schedules a downgrade for the period end and applies it then without proration', async () => {
    const { fake, run, now, periodEnd } = await activeMonthly('downgrade');
    await run(async (handle) => {
      await eventually(
        () => handle.query(subscriptionState),
        (s) => s.status === 'active',
      );
      const result = await handle.executeUpdate(changePlan, {
        args: [
          {
            planCode: 'basic',
            planId: 'plan_basic',
            priceId: 'price_starter_m',
            amountCents: 1900,
            interval: 'month',
            when: 'period_end',
            requestId: 'req_down1',
          },
        ],
      });
      expect(result).toEqual({
        status: 'scheduled',
        effectiveAt: periodEnd,
        tier: 'basic',
        replacedPendingChange: null,
      });
      expect((await handle.query(subscriptionState)).pendingChange).toMatchObject({ planCode: 'basic' });

      await env.sleep(Date.parse(periodEnd) - now - HOUR);
      expect(fake.activities.changeSubscriptionPrice).not.toHaveBeenCalled();
      expect((await handle.query(subscriptionState)).tier).toBe('starter');

      await env.sleep(2 * HOUR);
      const state = await eventually(
        () => handle.query(subscriptionState),
        (s) => s.tier === 'basic',
      );
      expect(state.pendingChange).toBeNull();
    });
    expect(fake.activities.changeSubscriptionPrice).toHaveBeenCalledTimes(1);
    expect(fake.activities.changeSubscriptionPrice).toHaveBeenCalledWith(
      expect.objectContaining({
        priceId: 'price_starter_m',
        prorationBehavior: 'none',
        changeKey: 'req_down1',
      }),
    );
  });

  it('drops a scheduled downgrade when the customer upgrades before the period ends', async () => {
    const { fake, run, periodEnd, now } = await activeMonthly('down-then-up');
    await run(async (handle) => {
      await eventually(
        () => handle.query(subscriptionState),
        (s) => s.status === 'active',
      );
      await handle.executeUpdate(changePlan, {
        args: [
          {
            planCode: 'basic',
            planId: 'plan_basic',
            priceId: 'price_starter_m',
            amountCents: 1900,
            interval: 'month',
            when: 'period_end',
            requestId: 'req_down2',
          },
        ],
      });
      const up = await handle.executeUpdate(changePlan, {
        args: [{ ...PRO_CHANGE, when: 'now', requestId: 'req_up2' }],
      });
      // The answer names the downgrade the upgrade replaced, and the mirror no longer shows it.
      expect(up).toMatchObject({ status: 'applied', replacedPendingChange: { planCode: 'basic' } });
      expect(fake.mirror.pending).toBeNull();
      await env.sleep(Date.parse(periodEnd) - now + HOUR);
      const state = await handle.query(subscriptionState);
      expect(state).toMatchObject({ tier: 'pro', pendingChange: null });
    });
    expect(fake.activities.changeSubscriptionPrice).toHaveBeenCalledTimes(1);
    expect(fake.activities.changeSubscriptionPrice).toHaveBeenCalledWith(
      expect.objectContaining({ priceId: 'price_pro_m', changeKey: 'req_up2' }),
    );
  });

  /** On pro (49.00 a month) mid-period, with a downgrade to starter (19.00) scheduled for the period end. */
  async function proWithPendingDowngrade(name: string) {
    const now = await env.currentTimeMs();
    const periodEnd = new Date(now + 20 * DAY).toISOString();
    const s = await scenario(
      name,
      {
        subscription: subscriptionSnapshot(`sub_${name}`, {
          priceId: 'price_pro_m',
          amountCents: 4900,
          currentPeriodStart: new Date(now - 10 * DAY).toISOString(),
          currentPeriodEnd: periodEnd,
        }),
      },
      {
        stripeSubscriptionId: `sub_${name}`,
        plan: { ...STARTER, planId: 'plan_pro', planCode: 'pro', priceId: 'price_pro_m', amountCents: 4900 },
      },
    );
    const scheduleDowngrade = async (handle: WorkflowHandle<typeof subscriptionWorkflow>) => {
      await eventually(
        () => handle.query(subscriptionState),
        (st) => st.status === 'active',
      );
      return handle.executeUpdate(changePlan, {
        args: [{ ...STARTER_CHANGE, when: 'period_end', requestId: `req_down_${name}` }],
      });
    };
    return { ...s, now, periodEnd, scheduleDowngrade };
  }

  const PENDING_STARTER = { tier: 'starter', interval: 'month', amountCents: 1900 };

  it('keeps a scheduled downgrade through cancel at period end and resume, and renews at the lower price', async () => {
    const { fake, run, now, periodEnd, scheduleDowngrade } =
      await proWithPendingDowngrade('down-cancel-resume');
    await run(async (handle) => {
      await scheduleDowngrade(handle);
      expect(fake.mirror.pending).toEqual({ ...PENDING_STARTER, effectiveAt: periodEnd });

      const canceled = await handle.executeUpdate(cancelSubscription, {
        args: [{ atPeriodEnd: true, requestId: 'req_c_dcr' }],
      });
      expect(canceled).toMatchObject({
        cancelAtPeriodEnd: true,
        pendingChange: { planCode: 'starter', effectiveAt: periodEnd },
        canceledPendingChange: null,
      });
      expect(fake.mirror.pending).toEqual({ ...PENDING_STARTER, effectiveAt: periodEnd });

      const resumed = await handle.executeUpdate(resumeSubscription, { args: [{ requestId: 'req_r_dcr' }] });
      expect(resumed).toMatchObject({ cancelAtPeriodEnd: false, pendingChange: { planCode: 'starter' } });

      await env.sleep(Date.parse(periodEnd) - now - HOUR);
      expect(fake.activities.changeSubscriptionPrice).not.toHaveBeenCalled();
      await env.sleep(2 * HOUR);
      const state = await eventually(
        () => handle.query(subscriptionState),
        (st) => st.tier === 'starter',
      );
      expect(state).toMatchObject({ pendingChange: null, amountCents: 1900, priceId: 'price_starter_m' });
      // Stripe renews at the price the subscription is on: the one the customer asked for.
      fake.renew();
    });
    expect(fake.activities.changeSubscriptionPrice).toHaveBeenCalledTimes(1);
    expect(fake.activities.changeSubscriptionPrice).toHaveBeenCalledWith(
      expect.objectContaining({
        priceId: 'price_starter_m',
        prorationBehavior: 'none',
        changeKey: 'req_down_down-cancel-resume',
      }),
    );
    expect(fake.renewals).toEqual([
      { priceId: 'price_starter_m', amountCents: 1900, periodStart: periodEnd },
    ]);
    expect(fake.mirror.pending).toBeNull();
  });

  it('does not switch plans while a cancellation is pending, and lets the subscription end at period end', async () => {
    const { fake, run, now, periodEnd, scheduleDowngrade } =
      await proWithPendingDowngrade('down-cancel-ends');
    const result = await run(async (handle) => {
      await scheduleDowngrade(handle);
      await handle.executeUpdate(cancelSubscription, {
        args: [{ atPeriodEnd: true, requestId: 'req_c_dce' }],
      });
      await env.sleep(Date.parse(periodEnd) - now + HOUR);
      expect(fake.activities.changeSubscriptionPrice).not.toHaveBeenCalled();
      // Stripe ends the subscription at the period end.
      Object.assign(fake.subscription, { status: 'canceled', canceledAt: periodEnd });
      await handle.signal(
        stripeEvent,
        stripeEventOf('customer.subscription.deleted', 'sub_down-cancel-ends', 'sub_down-cancel-ends'),
      );
      return handle.result();
    });
    expect(result).toMatchObject({ status: 'canceled', pendingChange: null });
    expect(fake.activities.changeSubscriptionPrice).not.toHaveBeenCalled();
    expect(fake.mirror.pending).toBeNull();
  });

  it('cancelling at once withdraws a pending downgrade and says so', async () => {
    const { fake, run, scheduleDowngrade } = await proWithPendingDowngrade('down-cancel-now');
    await run(async (handle) => {
      await scheduleDowngrade(handle);
      const canceled = await handle.executeUpdate(cancelSubscription, {
        args: [{ atPeriodEnd: false, requestId: 'req_cn_dcn' }],
      });
      expect(canceled).toMatchObject({
        status: 'canceled',
        pendingChange: null,
        canceledPendingChange: { planCode: 'starter', amountCents: 1900 },
      });
      await handle.result();
    });
    expect(fake.mirror.pending).toBeNull();
  });

  it('withdrawing a scheduled downgrade keeps the plan through the period end, and a second withdrawal is refused', async () => {
    const { fake, run, now, periodEnd, scheduleDowngrade } = await proWithPendingDowngrade('down-withdrawn');
    await run(async (handle) => {
      await scheduleDowngrade(handle);
      const withdrawn = await handle.executeUpdate(cancelPendingChange, {
        args: [{ requestId: 'req_w_dw' }],
      });
      expect(withdrawn).toMatchObject({
        canceledPendingChange: { planCode: 'starter', amountCents: 1900, effectiveAt: periodEnd },
        view: { tier: 'pro', pendingChange: null },
      });
      expect(fake.mirror.pending).toBeNull();
      const again = await handle
        .executeUpdate(cancelPendingChange, { args: [{ requestId: 'req_w_dw2' }] })
        .then(
          () => null,
          (err: unknown) => err,
        );
      expect(again).toBeInstanceOf(WorkflowUpdateFailedError);
      expect(String((again as WorkflowUpdateFailedError).cause?.message)).toContain(
        'no plan change is scheduled',
      );

      // Past the period end: the price never changes, the plan stays.
      await env.sleep(Date.parse(periodEnd) - now + HOUR);
      expect(await handle.query(subscriptionState)).toMatchObject({ tier: 'pro', pendingChange: null });
    });
    expect(fake.activities.changeSubscriptionPrice).not.toHaveBeenCalled();
  });

  it('a refused upgrade leaves the pending downgrade in place', async () => {
    const { fake, run, now, periodEnd, scheduleDowngrade } = await proWithPendingDowngrade('down-up-refused');
    await run(async (handle) => {
      await scheduleDowngrade(handle);
      const refused = handle.executeUpdate(changePlan, {
        args: [
          {
            ...PRO_CHANGE,
            planCode: 'enterprise',
            priceId: 'price_not_in_stripe',
            amountCents: 9900,
            when: 'now',
            requestId: 'req_up_refused',
          },
        ],
      });
      await expect(refused).rejects.toBeInstanceOf(WorkflowUpdateFailedError);
      expect((await handle.query(subscriptionState)).pendingChange).toMatchObject({ planCode: 'starter' });
      expect(fake.mirror.pending).toEqual({ ...PENDING_STARTER, effectiveAt: periodEnd });
      await env.sleep(Date.parse(periodEnd) - now + HOUR);
      await eventually(
        () => handle.query(subscriptionState),
        (st) => st.tier === 'starter',
      );
    });
  });

  it("keeps the customer's pending downgrade when an admin migrates them to a new version of their plan", async () => {
    const { fake, run, now, periodEnd, scheduleDowngrade } = await proWithPendingDowngrade('down-migrate');
    const migration = { ...PRO_CHANGE, priceId: 'price_pro_v2_m', amountCents: 5900 };
    await run(async (handle) => {
      await scheduleDowngrade(handle);
      // At period end the downgrade replaces the plan anyway: the migration is refused and says why.
      const later = handle.executeUpdate(changePlan, {
        args: [{ ...migration, when: 'period_end', requestId: 'migrate:later' }],
      });
      await expect(later).rejects.toMatchObject({ cause: { message: expect.stringContaining('starter') } });

      const applied = await handle.executeUpdate(changePlan, {
        args: [{ ...migration, when: 'now', requestId: 'migrate:now' }],
      });
      expect(applied).toMatchObject({ status: 'applied', replacedPendingChange: null });
      expect(await handle.query(subscriptionState)).toMatchObject({
        priceId: 'price_pro_v2_m',
        pendingChange: { planCode: 'starter' },
      });
      expect(fake.mirror.pending).toEqual({ ...PENDING_STARTER, effectiveAt: periodEnd });

      await env.sleep(Date.parse(periodEnd) - now + HOUR);
      await eventually(
        () => handle.query(subscriptionState),
        (st) => st.priceId === 'price_starter_m',
      );
    });
    expect(fake.activities.changeSubscriptionPrice.mock.calls.map(([c]) => c.priceId)).toEqual([
      'price_pro_v2_m',
      'price_starter_m',
    ]);
  });

  it('withdraws a pending downgrade when the plan is changed in Stripe itself', async () => {
    const { fake, run, now, periodEnd, scheduleDowngrade } =
      await proWithPendingDowngrade('down-stripe-side');
    await run(async (handle) => {
      await scheduleDowngrade(handle);
      // The customer picks enterprise in Stripe's portal.
      Object.assign(fake.subscription, { priceId: 'price_ent_m', amountCents: 9900 });
      await handle.signal(
        stripeEvent,
        stripeEventOf('customer.subscription.updated', 'sub_down-stripe-side', 'sub_down-stripe-side'),
      );
      await eventually(
        () => handle.query(subscriptionState),
        (st) => st.pendingChange === null && st.amountCents === 9900,
      );
      expect(fake.mirror.pending).toBeNull();
      await env.sleep(Date.parse(periodEnd) - now + HOUR);
    });
    expect(fake.activities.changeSubscriptionPrice).not.toHaveBeenCalled();
  });

  it('moves the tier, and Keycloak and Lago with it, when the plan is changed in Stripe itself', async () => {
    const { fake, run } = await activeMonthly('portal-change');
    await run(async (handle) => {
      await eventually(
        () => handle.query(subscriptionState),
        (s) => s.status === 'active',
      );
      // The customer picks pro in Stripe's portal.
      Object.assign(fake.subscription, { priceId: 'price_pro_m', amountCents: 4900 });
      await handle.signal(
        stripeEvent,
        stripeEventOf('customer.subscription.updated', 'sub_portal-change', 'sub_portal-change'),
      );
      await eventually(
        () => handle.query(subscriptionState),
        (s) => s.tier === 'pro' && s.amountCents === 4900,
      );
      await eventually(
        async () => fake.activities.syncLagoSubscription.mock.calls.at(-1)?.[0].planCode,
        (code) => code === 'pro',
      );
      // Keycloak and Lago are synced side by side, so each is awaited on its own.
      await eventually(
        async () => fake.activities.syncKeycloakUser.mock.calls.at(-1)?.[0].attributes.subscription_tier,
        (tier) => tier === 'pro',
      );
      // A price no plan owns (made by hand in the dashboard) leaves the tier as it was.
      Object.assign(fake.subscription, { priceId: 'price_handmade', amountCents: 1234 });
      await handle.signal(
        stripeEvent,
        stripeEventOf('customer.subscription.updated', 'sub_portal-change', 'sub_portal-change'),
      );
      const after = await eventually(
        () => handle.query(subscriptionState),
        (s) => s.amountCents === 1234,
      );
      expect(after).toMatchObject({ tier: 'pro', status: 'active' });
    });
  });

  it('cancels at period end, resumes, and rejects a second resume', async () => {
    const { fake, run } = await activeMonthly('cancel-resume');
    await run(async (handle) => {
      await eventually(
        () => handle.query(subscriptionState),
        (s) => s.status === 'active',
      );
      const canceled = await handle.executeUpdate(cancelSubscription, {
        args: [{ atPeriodEnd: true, requestId: 'req_c1' }],
      });
      expect(canceled).toMatchObject({ status: 'active', cancelAtPeriodEnd: true });
      expect(fake.activities.setCancelAtPeriodEnd).toHaveBeenLastCalledWith({
        stripeSubscriptionId: 'sub_cancel-resume',
        cancel: true,
        changeKey: 'req_c1',
      });

      const resumed = await handle.executeUpdate(resumeSubscription, { args: [{ requestId: 'req_r1' }] });
      expect(resumed.cancelAtPeriodEnd).toBe(false);
      expect(fake.activities.setCancelAtPeriodEnd).toHaveBeenLastCalledWith({
        stripeSubscriptionId: 'sub_cancel-resume',
        cancel: false,
        changeKey: 'req_r1',
      });

      const again = handle.executeUpdate(resumeSubscription, { args: [{ requestId: 'req_r2' }] });
      await expect(again).rejects.toBeInstanceOf(WorkflowUpdateFailedError);
      await expect(again).rejects.toMatchObject({ cause: { message: 'no cancellation is pending' } });
    });
    expect(fake.activities.setCancelAtPeriodEnd).toHaveBeenCalledTimes(2);
    expect(fake.activities.cancelSubscriptionNow).not.toHaveBeenCalled();
  });

  it('opens Checkout for a new subscription and activates it once Stripe reports the session completed', async () => {
    const now = await env.currentTimeMs();
    const periodEnd = new Date(now + 30 * DAY).toISOString();
    const { fake, run, subscriptionId } = await scenario(
      'checkout',
      {
        subscription: subscriptionSnapshot('sub_checkout', {
          currentPeriodStart: new Date(now).toISOString(),
          currentPeriodEnd: periodEnd,
        }),
      },
      // A plan without a trial: paying at Checkout activates it at once.
      { plan: { ...STARTER, trialDays: 0 } },
    );
    const urls = { successUrl: 'https://app.test/welcome', cancelUrl: 'https://app.test/plans' };
    let session: CheckoutResult | undefined;
    // As the API's checkout does it: one call starts the workflow and asks it for the Checkout page.
    const startWithCheckout = async (options: WorkflowStartOptions<typeof subscriptionWorkflow>) => {
      const start = new WithStartWorkflowOperation(subscriptionWorkflow, {
        ...options,
        workflowIdConflictPolicy: 'USE_EXISTING',
      });
      session = await env.client.workflow.executeUpdateWithStart(beginCheckout, {
        args: [urls],
        startWorkflowOperation: start,
      });
      return start.workflowHandle();
    };
    await run(async (handle) => {
      expect(session).toEqual({ sessionId: 'cs_test', url: 'https://checkout.test/cs_test' });
      expect(fake.activities.createCheckoutSession).toHaveBeenCalledWith({
        subscriptionId,
        stripeCustomerId: 'cus_sub_checkout',
        priceId: 'price_starter_m',
        usagePriceId: null,
        trialDays: 0,
        signupFee: null,
        ...urls,
      });
      // Until Stripe says the customer paid, there is no subscription in Stripe and nothing is granted.
      expect(await handle.query(subscriptionState)).toMatchObject({
        status: 'incomplete',
        stripeSubscriptionId: null,
        stripeCustomerId: 'cus_sub_checkout',
      });
      expect(fake.activities.fetchSubscription).not.toHaveBeenCalled();

      await handle.signal(
        stripeEvent,
        stripeEventOf('checkout.session.completed', 'cs_test', 'sub_checkout'),
      );
      const active = await eventually(
        () => handle.query(subscriptionState),
        (s) => s.status === 'active',
      );
      expect(active).toMatchObject({
        stripeSubscriptionId: 'sub_checkout',
        itemId: 'si_sub_checkout',
        tier: 'starter',
        amountCents: 1900,
        currentPeriodEnd: periodEnd,
      });
      expect(fake.activities.syncPaymentMethods).toHaveBeenCalledWith('cust_checkout');

      // Stripe's own subscription event, arriving after, changes nothing.
      await handle.signal(
        stripeEvent,
        stripeEventOf('customer.subscription.created', 'sub_checkout', 'sub_checkout'),
      );
      await eventually(
        async () => fake.activities.fetchSubscription.mock.calls.length,
        (n) => n === 2,
      );
      expect(await handle.query(subscriptionState)).toMatchObject({ status: 'active' });

      const again = handle.executeUpdate(beginCheckout, { args: [urls] });
      await expect(again).rejects.toBeInstanceOf(WorkflowUpdateFailedError);
      await expect(again).rejects.toMatchObject({
        cause: { message: 'subscription is active; checkout is only for a new subscription' },
      });
    }, startWithCheckout);
    expect(fake.activities.createCheckoutSession).toHaveBeenCalledTimes(1);
    expect(fake.activities.recordSubscriptionState).toHaveBeenLastCalledWith(
      expect.objectContaining({ subscriptionId, status: 'active' }),
    );
    expect(fake.activities.syncKeycloakUser).toHaveBeenLastCalledWith(
      expect.objectContaining({ attributes: expect.objectContaining({ subscription_status: 'active' }) }),
    );
  });

  it('pauses collection and resumes it, refusing a second pause and an unpause of an active subscription', async () => {
    const { fake, run, subscriptionId } = await activeMonthly('pause-resume');
    const keycloakStatuses = () =>
      fake.activities.syncKeycloakUser.mock.calls.map(([req]) => req.attributes.subscription_status);
    await run(async (handle) => {
      await eventually(
        () => handle.query(subscriptionState),
        (s) => s.status === 'active',
      );

      const paused = await handle.executeUpdate(pauseSubscription, {
        args: [{ paused: true, requestId: 'req_p1' }],
      });
      expect(paused).toMatchObject({ status: 'paused', tier: 'starter' });
      expect(fake.activities.setPaused).toHaveBeenLastCalledWith({
        stripeSubscriptionId: 'sub_pause-resume',
        paused: true,
        changeKey: 'req_p1',
      });
      expect(fake.activities.recordSubscriptionState).toHaveBeenLastCalledWith(
        expect.objectContaining({ subscriptionId, status: 'paused' }),
      );
      await eventually(
        () => handle.describe(),
        (d) => d.typedSearchAttributes.get(SubscriptionStatus) === 'paused',
      );
      await eventually(
        async () => keycloakStatuses(),
        (statuses) => statuses.at(-1) === 'paused',
      );

      const twice = handle.executeUpdate(pauseSubscription, {
        args: [{ paused: true, requestId: 'req_p2' }],
      });
      await expect(twice).rejects.toMatchObject({ cause: { message: 'already paused' } });

      // Stripe's echo of the pause re-reads a subscription still paused.
      await handle.signal(
        stripeEvent,
        stripeEventOf('customer.subscription.updated', 'sub_pause-resume', 'sub_pause-resume'),
      );
      await eventually(
        async () => fake.activities.fetchSubscription.mock.calls.length,
        (n) => n === 2,
      );
      expect(await handle.query(subscriptionState)).toMatchObject({ status: 'paused' });

      const resumed = await handle.executeUpdate(pauseSubscription, {
        args: [{ paused: false, requestId: 'req_u1' }],
      });
      expect(resumed).toMatchObject({ status: 'active', tier: 'starter' });
      expect(fake.activities.setPaused).toHaveBeenLastCalledWith({
        stripeSubscriptionId: 'sub_pause-resume',
        paused: false,
        changeKey: 'req_u1',
      });
      await eventually(
        () => handle.describe(),
        (d) => d.typedSearchAttributes.get(SubscriptionStatus) === 'active',
      );

      const unpauseAgain = handle.executeUpdate(pauseSubscription, {
        args: [{ paused: false, requestId: 'req_u2' }],
      });
      await expect(unpauseAgain).rejects.toMatchObject({ cause: { message: 'not paused' } });
    });
    expect(fake.activities.setPaused).toHaveBeenCalledTimes(2);
    expect(fake.activities.recordSubscriptionState).toHaveBeenLastCalledWith(
      expect.objectContaining({ subscriptionId, status: 'active' }),
    );
    // Keycloak took access away while paused and gave it back.
    expect(keycloakStatuses()).toEqual(['active', 'paused', 'active']);
  });

  it('ends the run when the subscription is canceled at once', async () => {
    const { fake, run } = await activeMonthly('cancel-now');
    const result = await run(async (handle) => {
      await eventually(
        () => handle.query(subscriptionState),
        (s) => s.status === 'active',
      );
      await handle.executeUpdate(cancelSubscription, { args: [{ atPeriodEnd: false, requestId: 'req_cn' }] });
      return handle.result();
    });
    expect(result.status).toBe('canceled');
    expect(fake.activities.cancelSubscriptionNow).toHaveBeenCalledTimes(1);
  });

  it('applies a duplicate Stripe event once', async () => {
    const { fake, run } = await scenario('duplicate', {
      subscription: subscriptionSnapshot('sub_dup'),
    });
    await run(async (handle) => {
      const event = stripeEventOf('customer.subscription.created', 'sub_dup', 'sub_dup', 'evt_dup_1');
      await handle.signal(stripeEvent, event);
      await eventually(
        () => handle.query(subscriptionState),
        (s) => s.status === 'active',
      );
      await handle.signal(stripeEvent, event);
      // A later, different event proves the loop went past the duplicate.
      await handle.signal(stripeEvent, stripeEventOf('invoice.upcoming', 'in_upcoming', 'sub_dup'));
      await handle.signal(stripeEvent, event);
      await env.sleep(HOUR);
      expect((await handle.query(subscriptionState)).status).toBe('active');
    });
    expect(fake.activities.fetchSubscription).toHaveBeenCalledTimes(1);
  });

  it('answers the event that started a run for a subscription made in Stripe with its first read', async () => {
    const { fake, run } = await activeMonthly('made-in-stripe');
    const created = stripeEventOf(
      'customer.subscription.created',
      'sub_made-in-stripe',
      'sub_made-in-stripe',
    );
    await run(
      async (handle) => {
        await eventually(
          () => handle.query(subscriptionState),
          (s) => s.status === 'active',
        );
        // A later event proves the loop went past the one the run started with.
        await handle.signal(
          stripeEvent,
          stripeEventOf('invoice.upcoming', 'in_upcoming', 'sub_made-in-stripe'),
        );
        await env.sleep(HOUR);
      },
      // As the intake starts it: the run and the event that told of the subscription, together.
      (o) =>
        env.client.workflow.signalWithStart(subscriptionWorkflow, {
          ...o,
          signal: stripeEvent,
          signalArgs: [created],
        }),
    );
    expect(fake.activities.fetchSubscription).toHaveBeenCalledTimes(1);
  });

  it('reads an invoice once for its mirror-only events queued before the read, and again for one queued during it', async () => {
    const { fake, run } = await scenario('invoice-burst', {
      subscription: subscriptionSnapshot('sub_burst'),
      invoices: [openInvoice('in_busy', 'sub_burst'), openInvoice('in_burst', 'sub_burst')],
    });
    const reads = () => fake.activities.fetchInvoice.mock.calls.map(([id]) => id);
    let release = () => {};
    const busy = new Promise<void>((resolve) => (release = resolve));
    let releaseBurst = () => {};
    const burstRead = new Promise<void>((resolve) => (releaseBurst = resolve));
    const read = fake.activities.fetchInvoice.getMockImplementation()!;
    fake.activities.fetchInvoice.mockImplementation(async (id: string) => {
      if (id === 'in_busy') await busy;
      if (id === 'in_burst' && reads().filter((r) => r === 'in_burst').length === 1) await burstRead;
      return read(id);
    });
    await run(async (handle) => {
      const send = (type: string, invoiceId: string) =>
        handle.signal(stripeEvent, stripeEventOf(type, invoiceId, 'sub_burst'));
      // The run is busy reading another invoice while the burst's first two events queue.
      await send('invoice.created', 'in_busy');
      await eventually(
        async () => reads(),
        (r) => r.length === 1,
      );
      await send('invoice.created', 'in_burst');
      await send('invoice.finalized', 'in_burst');
      release();
      // The burst's read is under way: an event queued now changed Stripe after it began.
      await eventually(
        async () => reads(),
        (r) => r.length === 2,
      );
      await send('invoice.finalized', 'in_burst');
      releaseBurst();
      await eventually(
        async () => reads(),
        (r) => r.length >= 3,
      );
      await env.sleep(HOUR);
    });
    expect(reads()).toEqual(['in_busy', 'in_burst', 'in_burst']);
  });

  it("leaves a paid invoice that is not in dunning to the invoice's mirror run: no invoice read, no re-read", async () => {
    const { fake, run } = await activeMonthly('paid-apart');
    await run(async (handle) => {
      // Past the run's first task: an event already waiting at its first read is answered by that read.
      await eventually(
        () => handle.query(subscriptionState),
        (s) => s.status === 'active',
      );
      await handle.signal(
        stripeEvent,
        stripeEventOf('customer.subscription.updated', 'sub_paid-apart', 'sub_paid-apart'),
      );
      const reads = await eventually(
        async () => fake.activities.fetchSubscription.mock.calls.length,
        (n) => n >= 2,
      );
      await handle.signal(stripeEvent, stripeEventOf('invoice.paid', 'in_renewal', 'sub_paid-apart'));
      // A later event proves the loop went past the paid invoice.
      await handle.signal(
        stripeEvent,
        stripeEventOf('customer.subscription.updated', 'sub_paid-apart', 'sub_paid-apart'),
      );
      await eventually(
        async () => fake.activities.fetchSubscription.mock.calls.length,
        (n) => n > reads,
      );
      await env.sleep(HOUR);
      expect(fake.activities.fetchSubscription).toHaveBeenCalledTimes(reads + 1);
    });
    expect(fake.activities.fetchInvoice).not.toHaveBeenCalled();
  });

  it('records a renewal and tells Keycloak its new period in the workflow task of the read that saw it: no activity task of their own', async () => {
    const { fake, run, periodEnd } = await activeMonthly('renewal-local');
    const scheduled: string[] = [];
    await run(async (handle) => {
      await eventually(
        () => handle.query(subscriptionState),
        (s) => s.status === 'active',
      );
      const recorded = fake.activities.recordSubscriptionState.mock.calls.length;
      fake.renew();
      await handle.signal(
        stripeEvent,
        stripeEventOf('customer.subscription.updated', 'sub_renewal-local', 'sub_renewal-local'),
      );
      await eventually(
        async () => fake.activities.recordSubscriptionState.mock.calls.length,
        (n) => n > recorded,
      );
      await eventually(
        async () =>
          fake.activities.syncKeycloakUser.mock.calls.at(-1)?.[0].attributes.subscription_start_date,
        (start) => start === periodEnd,
      );
      for (const e of (await handle.fetchHistory()).events ?? [])
        if (e.activityTaskScheduledEventAttributes?.activityType?.name)
          scheduled.push(e.activityTaskScheduledEventAttributes.activityType.name);
    });
    expect(scheduled).not.toContain('recordSubscriptionState');
    expect(scheduled).not.toContain('syncKeycloakUser');
    expect(fake.activities.recordSubscriptionState).toHaveBeenLastCalledWith(
      expect.objectContaining({
        snapshot: expect.objectContaining({ currentPeriodStart: periodEnd }),
      }),
    );
  });

  it("answers the subscription updates queued behind a failed invoice with the failure's own re-read", async () => {
    const { fake, run } = await activeMonthly('failed-burst');
    const invoice = openInvoice('in_failed_burst', 'sub_failed-burst');
    let release = () => {};
    const queued = new Promise<void>((resolve) => (release = resolve));
    fake.activities.fetchInvoice.mockImplementation(async () => {
      await queued;
      return invoice;
    });
    await run(async (handle) => {
      // The run's own first read, as it starts.
      const reads = await eventually(
        async () => fake.activities.fetchSubscription.mock.calls.length,
        (n) => n >= 1,
      );
      await handle.signal(
        stripeEvent,
        stripeEventOf('invoice.payment_failed', invoice.stripeInvoiceId, null),
      );
      await eventually(
        async () => fake.activities.fetchInvoice.mock.calls.length,
        (n) => n === 1,
      );
      // A failed renewal's two updates (the new period, then past_due) arrive while the invoice is read.
      for (let i = 0; i < 2; i++)
        await handle.signal(
          stripeEvent,
          stripeEventOf('customer.subscription.updated', 'sub_failed-burst', 'sub_failed-burst'),
        );
      release();
      await eventually(
        async () => fake.activities.fetchSubscription.mock.calls.length,
        (n) => n > reads,
      );
      await env.sleep(HOUR);
      expect(fake.activities.fetchSubscription).toHaveBeenCalledTimes(reads + 1);
    });
  });

  it('continues as new when its history grows, keeping its state and the events it already applied', async () => {
    const { fake, run, subscriptionId } = await scenario(
      'long-life',
      { subscription: subscriptionSnapshot('sub_long') },
      { stripeSubscriptionId: 'sub_long', historyLimit: 40 },
    );
    await run(async (handle) => {
      await eventually(
        () => handle.query(subscriptionState),
        (s) => s.status === 'active',
      );
      const firstRunId = (await handle.describe()).runId;
      const early = stripeEventOf('customer.subscription.updated', 'sub_long', 'sub_long', 'evt_long_early');
      await handle.signal(stripeEvent, early);
      const latest = env.client.workflow.getHandle(`subscription-${subscriptionId}`);
      for (let i = 0; i < 40; i++) {
        await latest.signal(stripeEvent, stripeEventOf('invoice.upcoming', 'in_upcoming', 'sub_long'));
      }
      const next = await eventually(
        () => latest.describe(),
        (d) => d.runId !== firstRunId,
      );
      expect(next.status.name).toBe('RUNNING');
      const carried = await latest.query(subscriptionState);
      expect(carried).toMatchObject({ status: 'active', tier: 'starter', stripeSubscriptionId: 'sub_long' });

      // The early event again, now seen by the new run: it remembers having applied it.
      const reads = fake.activities.fetchSubscription.mock.calls.length;
      await latest.signal(stripeEvent, early);
      await latest.signal(stripeEvent, stripeEventOf('invoice.upcoming', 'in_upcoming', 'sub_long'));
      await env.sleep(HOUR);
      expect(fake.activities.fetchSubscription.mock.calls.length).toBe(reads);
      return latest;
    });
  });

  it('reports a Lago sync that fails for good and keeps syncing Keycloak and later changes', async () => {
    const { fake, run } = await activeMonthly('sync-fails');
    // Lago does not know the plan the first time it is asked (a plan code missing in Lago).
    fake.activities.syncLagoSubscription.mockImplementationOnce(async () => {
      throw ApplicationFailure.nonRetryable('plan_not_found: no plan "starter" in Lago', 'InvalidRequest');
    });
    await run(async (handle) => {
      const failed = await eventually(
        () => handle.query(subscriptionState),
        (s) => (s.syncFailures ?? []).length > 0,
      );
      expect(failed.syncFailures).toEqual([
        { system: 'lago', error: expect.stringContaining('plan_not_found'), at: expect.any(String) },
      ]);
      expect(fake.activities.syncKeycloakUser).toHaveBeenCalledTimes(1);
      expect((await handle.describe()).status.name).toBe('RUNNING');

      // A later change syncs both systems again, and the failure clears once Lago takes it.
      await handle.executeUpdate(changePlan, {
        args: [{ ...PRO_CHANGE, when: 'now', requestId: 'req_sync' }],
      });
      const healed = await eventually(
        () => handle.query(subscriptionState),
        (s) => s.tier === 'pro' && (s.syncFailures ?? []).length === 0,
      );
      expect(healed.status).toBe('active');
      expect(fake.activities.syncKeycloakUser).toHaveBeenLastCalledWith(
        expect.objectContaining({ attributes: expect.objectContaining({ subscription_tier: 'pro' }) }),
      );
      expect(fake.activities.syncLagoSubscription).toHaveBeenLastCalledWith(
        expect.objectContaining({ planCode: 'pro' }),
      );
    });
  });

  it('asks a worker without Lago settings once per sync, not for the subscription too, and Keycloak still follows', async () => {
    const { fake, run } = await activeMonthly('no-lago');
    fake.activities.syncLagoCustomer.mockImplementation(async () => ({ skipped: true as const }));
    await run(async (handle) => {
      await eventually(
        async () => fake.activities.syncLagoCustomer.mock.calls.length,
        (n) => n === 1,
      );
      await handle.executeUpdate(changePlan, {
        args: [{ ...PRO_CHANGE, when: 'now', requestId: 'req_no_lago' }],
      });
      await eventually(
        async () => fake.activities.syncLagoCustomer.mock.calls.length,
        (n) => n === 2,
      );
      expect(fake.activities.syncKeycloakUser).toHaveBeenLastCalledWith(
        expect.objectContaining({ attributes: expect.objectContaining({ subscription_tier: 'pro' }) }),
      );
      const state = await handle.query(subscriptionState);
      expect(state).toMatchObject({ tier: 'pro', status: 'active' });
      expect(state.syncFailures ?? []).toEqual([]);
      expect(fake.activities.syncLagoSubscription).not.toHaveBeenCalled();
    });
  });

  it('reports a Keycloak sync that fails for good, from its local activity, and keeps running', async () => {
    const { fake, run } = await activeMonthly('keycloak-fails');
    fake.activities.syncKeycloakUser.mockImplementationOnce(async () => {
      throw ApplicationFailure.nonRetryable(
        'the realm does not declare subscription_tier',
        'KeycloakMisconfigured',
      );
    });
    await run(async (handle) => {
      const failed = await eventually(
        () => handle.query(subscriptionState),
        (s) => (s.syncFailures ?? []).length > 0,
      );
      expect(failed.syncFailures).toEqual([
        { system: 'keycloak', error: expect.stringContaining('subscription_tier'), at: expect.any(String) },
      ]);
      expect((await handle.describe()).status.name).toBe('RUNNING');
    });
  });

  it('goes on to the next event when Stripe refuses a re-read for good', async () => {
    const { fake, run } = await activeMonthly('reread-refused');
    await run(async (handle) => {
      await eventually(
        () => handle.query(subscriptionState),
        (s) => s.status === 'active',
      );
      // From now on: a workflow task that failed on it would fail again on every retry.
      fake.activities.fetchSubscription.mockImplementation(async () => {
        throw ApplicationFailure.nonRetryable('No such subscription', 'NotFound');
      });
      await handle.signal(
        stripeEvent,
        stripeEventOf('customer.subscription.updated', 'sub_reread-refused', 'sub_reread-refused'),
      );
      await handle.signal(
        stripeEvent,
        stripeEventOf('payment_method.attached', 'pm_after', 'sub_reread-refused'),
      );
      await eventually(
        async () => fake.activities.syncPaymentMethods.mock.calls.length,
        (n) => n > 0,
      );
      expect((await handle.describe()).status.name).toBe('RUNNING');
    });
  });

  it('never moves backwards when two plan changes and a burst of Stripe updates arrive at the same moment', async () => {
    const { fake, run } = await activeMonthly('interleave');
    // Stripe takes its time answering the first change, with the subscription as that change left it:
    // interleaved with a later change, that older answer would be applied last.
    const change = fake.activities.changeSubscriptionPrice.getMockImplementation()!;
    fake.activities.changeSubscriptionPrice.mockImplementation(async (c) => {
      const snap = await change(c);
      if (c.priceId === 'price_pro_m') await new Promise((r) => setTimeout(r, 400));
      return snap;
    });
    const ENTERPRISE = {
      planCode: 'enterprise',
      planId: 'plan_ent',
      priceId: 'price_ent_m',
      usagePriceId: null,
      amountCents: 9900,
      interval: 'month' as const,
    };
    await run(async (handle) => {
      await eventually(
        () => handle.query(subscriptionState),
        (s) => s.status === 'active',
      );
      const first = handle.executeUpdate(changePlan, {
        args: [{ ...PRO_CHANGE, when: 'now', requestId: 'req_interleave_pro' }],
      });
      await eventually(
        async () => fake.activities.changeSubscriptionPrice.mock.calls.length,
        (n) => n === 1,
      );
      const second = handle.executeUpdate(changePlan, {
        args: [{ ...ENTERPRISE, when: 'now', requestId: 'req_interleave_ent' }],
      });
      const burst = Array.from({ length: 8 }, (_, i) =>
        handle.signal(
          stripeEvent,
          stripeEventOf(
            'customer.subscription.updated',
            'sub_interleave',
            'sub_interleave',
            `evt_burst_${i}`,
          ),
        ),
      );
      await Promise.all([first, second, ...burst]);
      await eventually(
        () => handle.describe(),
        (d) => !d.raw.pendingWorkflowTask && (d.raw.pendingActivities ?? []).length === 0,
      );
      // The workflow ends where Stripe ended: on the change made last.
      expect(fake.subscription.priceId).toBe('price_ent_m');
      expect(await handle.query(subscriptionState)).toMatchObject({ tier: 'enterprise', amountCents: 9900 });
    });
    // Every state the workflow recorded, in order, followed the changes in the order they were made.
    const amounts = fake.activities.recordSubscriptionState.mock.calls
      .map(([req]) => req.snapshot?.amountCents)
      .filter((a): a is number => a !== undefined);
    expect(amounts.slice(amounts.indexOf(9900))).not.toContain(4900);
    expect(amounts.at(-1)).toBe(9900);
  });

  it('publishes its status as a search attribute', async () => {
    const { run } = await activeMonthly('search-attrs');
    await run(async (handle) => {
      await eventually(
        () => handle.query(subscriptionState),
        (s) => s.status === 'active',
      );
      const desc = await eventually(
        () => handle.describe(),
        (d) => d.typedSearchAttributes.get(SubscriptionStatus) === 'active',
      );
      expect(desc.typedSearchAttributes.get(SubscriptionStatus)).toBe('active');
    });
  });
});
