import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { NotificationInput } from '../../activities';
import type { TopUpCharge, TopUpOutcome, TopUpPayment } from '../../activities/credits/top-up';
import { creditCheckoutWorkflow, creditPurchaseWorkflow, creditTopUpWorkflow } from '../../workflows';
import { startTimeSkipping, withActivities } from '../helpers/temporal';

const notice = (kind: string): NotificationInput => ({
  customerId: 'cust_1',
  email: 'ada@example.com',
  kind,
  dedupeKey: `${kind}:1`,
});

const charge = (attempt: number): TopUpCharge => ({
  customerId: 'cust_1',
  crossingKey: 'cust_1:cgr_1:1',
  attempt,
  email: 'ada@example.com',
  packId: 'cpk_1',
  packName: '1,000 credits',
  credits: 1000,
  expiresAfterDays: null,
  priceCents: 1000,
  currency: 'usd',
  stripeCustomerId: 'cus_1',
  paymentMethodId: 'pm_1',
});

const payment = (status: TopUpPayment['status'], rest: Partial<TopUpPayment> = {}): TopUpPayment => ({
  status,
  paymentIntentId: 'pi_1',
  amountCents: 1000,
  currency: 'usd',
  message: null,
  failureType: null,
  ...rest,
});

/** A try whose card is to be charged: prepare hands the charge on, and each step says it ran. */
const chargeable = (steps: string[]) => ({
  async prepareTopUp(req: { attempt: number }) {
    steps.push(`prepare ${req.attempt}`);
    return { outcome: null, charge: charge(req.attempt) };
  },
});

const declined = (attempt: number): TopUpOutcome => ({
  status: 'declined',
  reason: 'Your card was declined.',
  grantId: null,
  paymentIntentId: `pi_${attempt}`,
  notice: notice(`top_up_declined_${attempt}`),
});

/**
 * The credit workflows on Temporal's time-skipping server, with activities that record what they were
 * asked: the order of the business steps, the wait before a retried top-up, and what ends a top-up.
 */
describe('credit workflows', () => {
  let env: TestWorkflowEnvironment;
  beforeAll(async () => {
    env = await startTimeSkipping();
  });
  afterAll(() => env?.teardown());

  const run = <T>(
    taskQueue: string,
    activities: Record<string, (...args: never[]) => Promise<unknown>>,
    fn: () => Promise<T>,
  ) => withActivities(env, taskQueue, activities, fn);

  it('opens a pack’s Checkout page for the customer’s Stripe customer', async () => {
    const calls: string[] = [];
    const page = await run(
      'credit-checkout',
      {
        async ensureStripeCustomer(customerId: string) {
          calls.push(`customer ${customerId}`);
          return 'cus_1';
        },
        async createCreditCheckoutSession(req: { stripeCustomerId: string; pack: { credits: number } }) {
          calls.push(`checkout ${req.stripeCustomerId} ${req.pack.credits}`);
          return { sessionId: 'cs_test_1', url: 'https://checkout.example/cs_test_1' };
        },
      },
      () =>
        env.client.workflow.execute(creditCheckoutWorkflow, {
          workflowId: 'credit-checkout-cust_1-req_1',
          taskQueue: 'credit-checkout',
          args: [
            {
              customerId: 'cust_1',
              pack: {
                packId: 'pack_1',
                name: '1000 credits',
                credits: 1000,
                priceCents: 1900,
                currency: 'usd',
                expiresAfterDays: 365,
              },
              successUrl: 'https://app.example/billing/credits',
              cancelUrl: 'https://app.example/billing/credits',
            },
          ],
        }),
    );
    expect(page.sessionId).toBe('cs_test_1');
    expect(calls).toEqual(['customer cust_1', 'checkout cus_1 1000']);
  });

  it('grants a paid session and tells the customer; a session that granted nothing sends no mail', async () => {
    const mails: string[] = [];
    const activities = {
      async grantPurchasedCredits(sessionId: string) {
        const paid = sessionId === 'cs_test_paid';
        return {
          granted: paid,
          reason: paid ? null : 'payment unpaid',
          grantId: paid ? 'cgr_1' : null,
          credits: paid ? 1000 : 0,
          notice: paid ? notice('credits_purchased') : null,
        };
      },
      async queueNotification(n: NotificationInput) {
        mails.push(n.dedupeKey);
        return { queued: true, sent: false };
      },
    };
    const purchase = (id: string) =>
      env.client.workflow.execute(creditPurchaseWorkflow, {
        workflowId: `credit-purchase-${id}`,
        taskQueue: 'credit-purchase',
        args: [id],
      });
    const [paid, unpaid] = await run('credit-purchase', activities, async () => [
      await purchase('cs_test_paid'),
      await purchase('cs_test_unpaid'),
    ]);
    expect({ paid: paid?.granted, unpaid: unpaid?.granted }).toEqual({ paid: true, unpaid: false });
    // The outbox keys each mail (a retried activity queues nothing new): one purchase, one mail.
    expect([...new Set(mails)]).toEqual(['credits_purchased:1']);
  });

  it('charges once when the card pays at the first try', async () => {
    const steps: string[] = [];
    const outcome = await run(
      'credit-top-up-ok',
      {
        ...chargeable(steps),
        async chargeTopUpCard(c: TopUpCharge) {
          steps.push(`charge ${c.attempt}`);
          return payment('paid');
        },
        async recordTopUp({ payment: paid }: { payment: TopUpPayment }) {
          steps.push(`record ${paid.status}`);
          return {
            ...declined(1),
            status: 'charged',
            reason: null,
            grantId: 'cgr_9',
            notice: notice('credits_topped_up'),
          };
        },
        async queueNotification(n: NotificationInput) {
          steps.push(`mail ${n.kind}`);
          return { queued: true, sent: false };
        },
      },
      () =>
        env.client.workflow.execute(creditTopUpWorkflow, {
          workflowId: 'credit-top-up-cust_1:cgr_1:1',
          taskQueue: 'credit-top-up-ok',
          args: [{ customerId: 'cust_1', crossingKey: 'cust_1:cgr_1:1', retryAfterSeconds: 3600 }],
        }),
    );
    expect(outcome).toMatchObject({ status: 'charged', grantId: 'cgr_9' });
    expect(steps).toEqual(['prepare 1', 'charge 1', 'record paid', 'mail credits_topped_up']);
  });

  it('retries a declined top-up once after the wait, then turns auto top-up off and says so', async () => {
    const steps: string[] = [];
    const outcome = await run(
      'credit-top-up-declined',
      {
        ...chargeable(steps),
        async chargeTopUpCard(c: TopUpCharge) {
          steps.push(`charge ${c.attempt}`);
          return payment('declined', { message: 'Your card was declined.' });
        },
        async recordTopUp({ charge: c }: { charge: TopUpCharge }) {
          return declined(c.attempt);
        },
        async disableAutoTopUp(req: { reason: string }) {
          steps.push(`disable: ${req.reason}`);
          return { disabled: true, notice: notice('auto_top_up_disabled') };
        },
        async queueNotification(n: NotificationInput) {
          steps.push(`mail ${n.kind}`);
          return { queued: true, sent: false };
        },
      },
      () =>
        env.client.workflow.execute(creditTopUpWorkflow, {
          workflowId: 'credit-top-up-cust_1:cgr_1:2',
          taskQueue: 'credit-top-up-declined',
          args: [{ customerId: 'cust_1', crossingKey: 'cust_1:cgr_1:2', retryAfterSeconds: 3600 }],
        }),
    );
    expect(outcome).toMatchObject({ status: 'declined', autoTopUpDisabled: true });
    expect(steps).toEqual([
      'prepare 1',
      'charge 1',
      'mail top_up_declined_1',
      'prepare 2',
      'charge 2',
      'mail top_up_declined_2',
      'disable: Your card was declined.',
      'mail auto_top_up_disabled',
    ]);
    // The retry waited the hour on the workflow's clock (skipped here), not a moment.
    const { events } = await env.client.workflow.getHandle('credit-top-up-cust_1:cgr_1:2').fetchHistory();
    const timers = (events ?? []).filter((e) => e.timerStartedEventAttributes);
    expect(timers.map((e) => Number(e.timerStartedEventAttributes?.startToFireTimeout?.seconds))).toEqual([
      3600,
    ]);
  });

  it('asks Stripe nothing when the try is decided before money moves', async () => {
    const steps: string[] = [];
    const outcome = await run(
      'credit-top-up-skipped',
      {
        async prepareTopUp() {
          steps.push('prepare');
          return { outcome: { ...declined(1), status: 'skipped', notice: null }, charge: null };
        },
        async chargeTopUpCard() {
          steps.push('charge');
          return payment('paid');
        },
      },
      () =>
        env.client.workflow.execute(creditTopUpWorkflow, {
          workflowId: 'credit-top-up-cust_1:cgr_1:3',
          taskQueue: 'credit-top-up-skipped',
          args: [{ customerId: 'cust_1', crossingKey: 'cust_1:cgr_1:3', retryAfterSeconds: 3600 }],
        }),
    );
    expect(outcome).toMatchObject({ status: 'skipped' });
    expect(steps).toEqual(['prepare']);
  });

  it('records a charge Stripe refused outright, then fails the run as no retry mends it', async () => {
    const steps: string[] = [];
    const failed = run(
      'credit-top-up-refused',
      {
        ...chargeable(steps),
        async chargeTopUpCard() {
          steps.push('charge');
          return payment('refused', { message: 'No such payment_method', failureType: 'InvalidRequest' });
        },
        async recordTopUp({ payment: refused }: { payment: TopUpPayment }) {
          steps.push(`record ${refused.status}`);
          return { ...declined(1), status: 'pending', notice: null };
        },
      },
      () =>
        env.client.workflow.execute(creditTopUpWorkflow, {
          workflowId: 'credit-top-up-cust_1:cgr_1:4',
          taskQueue: 'credit-top-up-refused',
          args: [{ customerId: 'cust_1', crossingKey: 'cust_1:cgr_1:4', retryAfterSeconds: 3600 }],
        }),
    );
    await expect(failed).rejects.toMatchObject({
      cause: { message: 'No such payment_method', type: 'InvalidRequest', nonRetryable: true },
    });
    expect(steps).toEqual(['prepare 1', 'charge', 'record refused']);
  });
});
