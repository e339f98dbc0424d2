import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { subscriptionWorkflow } from '../../workflows';
import { changePlan, stripeEvent, subscriptionState } from '../../workflows/messages';
import { historyToJson } from '../helpers/history-json';
import { runsOf } from '../helpers/replay-recorder';
import { startTimeSkipping, workflowBundle } from '../helpers/temporal';
import {
  DAY,
  eventually,
  fakeBilling,
  HOUR,
  openInvoice,
  PRO_CHANGE,
  registerSearchAttributes,
  STARTER,
  stripeEventOf,
  subscriptionSnapshot,
} from '../helpers/workflow-activities';

const MAX_EVENTS_PER_RUN = 10_000;
const MAX_BYTES_PER_RUN = 10 * 1024 * 1024;

/**
 * One subscription's year under time skipping: twelve monthly renewals, an upgrade in month 3, a
 * downgrade at the end of month 7, a failed payment in month 5 that dunning recovers, and Stripe's usual
 * chatter (over 300 events). Every run of the workflow stays far inside Temporal's history limits; the
 * figures are printed (docs/architecture.md, "Bounded life").
 */
describe('a year in the life of one subscription', () => {
  let env: TestWorkflowEnvironment;
  beforeAll(async () => {
    env = await startTimeSkipping();
    await registerSearchAttributes(env);
  });
  afterAll(() => env?.teardown());

  it('renews twelve times through plan changes and dunning, each run well under the history limits', async () => {
    const start = await env.currentTimeMs();
    const fake = fakeBilling(env, {
      subscription: subscriptionSnapshot('sub_year', {
        currentPeriodStart: new Date(start).toISOString(),
        currentPeriodEnd: new Date(start + 30 * DAY).toISOString(),
      }),
      invoices: [openInvoice('in_year_failed', 'sub_year')],
      // The first retry of the failed invoice goes through.
      paymentSucceeds: (attempt) => attempt >= 1,
    });
    const taskQueue = 'subscription-year';
    const worker = await Worker.create({
      connection: env.nativeConnection,
      taskQueue,
      workflowBundle: workflowBundle(),
      activities: fake.activities,
    });
    const workflowId = 'subscription-subs_year';
    let events = 0;
    const latest = () => env.client.workflow.getHandle<typeof subscriptionWorkflow>(workflowId);
    const send = async (type: string, objectId = 'sub_year') => {
      await latest().signal(stripeEvent, stripeEventOf(type, objectId, 'sub_year'));
      events++;
    };
    const state = () => latest().query(subscriptionState);

    const final = await worker.runUntil(async () => {
      await env.client.workflow.start(subscriptionWorkflow, {
        workflowId,
        taskQueue,
        args: [
          {
            subscriptionId: 'subs_year',
            customerId: 'cust_year',
            email: 'year@example.com',
            plan: STARTER,
            stripeSubscriptionId: 'sub_year',
          },
        ],
      });
      await eventually(state, (s) => s.status === 'active');

      for (let month = 1; month <= 12; month++) {
        // Stripe says the same thing many times: re-sent updates and upcoming-invoice notices.
        for (let i = 0; i < 23; i++) await send(i % 2 ? 'customer.subscription.updated' : 'invoice.upcoming');
        if (month === 3) {
          await latest().executeUpdate(changePlan, {
            args: [{ ...PRO_CHANGE, when: 'now', requestId: 'req_year_up' }],
          });
        }
        if (month === 5) {
          fake.subscription.status = 'past_due';
          await send('invoice.payment_failed', 'in_year_failed');
          await eventually(state, (s) => s.dunningInvoices.includes('in_year_failed'));
          await env.sleep(2 * DAY);
          await eventually(
            async () => fake.payments.length,
            (n) => n >= 1,
          );
          await send('invoice.paid', 'in_year_failed');
          await eventually(state, (s) => s.status === 'active' && s.dunningInvoices.length === 0);
        }
        if (month === 7) {
          await latest().executeUpdate(changePlan, {
            args: [
              {
                planCode: 'starter',
                planId: STARTER.planId,
                priceId: STARTER.priceId,
                usagePriceId: null,
                amountCents: STARTER.amountCents,
                interval: 'month',
                when: 'period_end',
                requestId: 'req_year_down',
              },
            ],
          });
        }
        // To the period's end: timers fire (a scheduled downgrade), then Stripe renews and says so.
        const end = Date.parse(fake.subscription.currentPeriodEnd as string);
        await env.sleep(Math.max(1, end + HOUR - (await env.currentTimeMs())));
        fake.renew();
        const invoiceId = `in_year_${month}`;
        fake.invoices.set(invoiceId, { ...openInvoice(invoiceId, 'sub_year'), status: 'paid' });
        await send('customer.subscription.updated');
        await send('invoice.paid', invoiceId);
        await eventually(state, (s) => s.currentPeriodStart === fake.subscription.currentPeriodStart);
      }
      await eventually(
        () => latest().describe(),
        (d) => !d.raw.pendingWorkflowTask && (d.raw.pendingActivities ?? []).length === 0,
      );
      // Queried while the worker runs: a query needs one.
      return state();
    });

    expect(events).toBeGreaterThanOrEqual(300);
    expect(fake.renewals).toHaveLength(12);
    // Upgraded in month 3, downgraded from the end of month 7: what each renewal billed.
    expect(fake.renewals.map((r) => r.amountCents)).toEqual([
      1900, 1900, 4900, 4900, 4900, 4900, 1900, 1900, 1900, 1900, 1900, 1900,
    ]);
    expect(final).toMatchObject({ status: 'active', tier: 'starter', amountCents: 1900 });

    const runs = await runsOf(env.client, workflowId);
    const sizes = runs.map((h) => ({
      events: h.events?.length ?? 0,
      bytes: Buffer.byteLength(historyToJson(h)),
    }));
    const longest = Math.max(...sizes.map((s) => s.events));
    const largest = Math.max(...sizes.map((s) => s.bytes));
    console.log(
      `a year of one subscription: ${events} Stripe events, ${fake.renewals.length} renewals, ` +
        `${runs.length} run(s), longest history ${longest} events, largest ${(largest / 1024).toFixed(0)} KiB`,
    );
    for (const s of sizes) {
      expect(s.events).toBeLessThan(MAX_EVENTS_PER_RUN);
      expect(s.bytes).toBeLessThan(MAX_BYTES_PER_RUN);
    }

    // Keycloak holds the period's end, so it hears every renewal; Lago holds the plan and the status only,
    // so it hears their changes (and once more as each continued run starts afresh), not the renewals.
    const ends = fake.activities.syncKeycloakUser.mock.calls.map(([r]) => r.attributes.subscription_end_date);
    expect(new Set(ends).size).toBeGreaterThanOrEqual(12);
    const lago = fake.activities.syncLagoSubscription.mock.calls.map(([r]) => `${r.status}|${r.planCode}`);
    const changes = lago.filter((k, i) => k !== lago[i - 1]).length;
    expect(changes).toBeGreaterThanOrEqual(4);
    expect(lago.length).toBeLessThanOrEqual(changes + runs.length);
    expect(lago.length).toBeLessThan(12);
  }, 300_000);
});
