import { Context } from '@temporalio/activity';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { subscriptionWorkflow } from '../../workflows';
import { stripeEvent } from '../../workflows/messages';
import { startDevServer, workflowBundle } from '../helpers/temporal';
import { DAY, fakeBilling, stripeEventOf, subscriptionSnapshot } from '../helpers/workflow-activities';

jest.setTimeout(120_000);

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The activities, counting how many run as local activities at once (`most`) and in all (`calls`). */
function countingLocal<T extends Record<string, (...args: never[]) => Promise<unknown>>>(
  lanes: { now: number; most: number; calls: number },
  activities: T,
): T {
  return Object.fromEntries(
    Object.entries(activities).map(([name, fn]) => [
      name,
      async (...args: never[]) => {
        if (!Context.current().info.isLocal) return fn(...args);
        lanes.calls++;
        lanes.most = Math.max(lanes.most, ++lanes.now);
        try {
          return await fn(...args);
        } finally {
          lanes.now--;
        }
      },
    ]),
  ) as T;
}

/**
 * A run's local activities resolve in the order they finish, but replay resolves them in the order the
 * history has them: two in flight at once (the sync chain's and the main path's) could resume their callers
 * in another order on replay, and the chaos run saw such a history fail to replay. So they take turns. On the
 * real-time dev server, as the race is one of wall-clock time.
 */
describe("a subscription run's local activities", () => {
  let env: TestWorkflowEnvironment;
  beforeAll(async () => {
    env = await startDevServer();
  });
  afterAll(() => env?.teardown());

  it('take turns while a slow Keycloak sync meets quick card re-reads, the run asks one patch, and the history replays', async () => {
    const name = 'la-overlap';
    const now = Date.now();
    const fake = fakeBilling(env, {
      subscription: subscriptionSnapshot(`sub_${name}`, {
        currentPeriodStart: new Date(now - 10 * DAY).toISOString(),
        currentPeriodEnd: new Date(now + 20 * DAY).toISOString(),
        usageItemId: 'si_usage',
      }),
    });
    const lanes = { now: 0, most: 0, calls: 0 };
    const taskQueue = `subscription-${name}`;
    const worker = await Worker.create({
      connection: env.nativeConnection,
      namespace: env.namespace,
      taskQueue,
      workflowBundle: workflowBundle(),
      activities: countingLocal(lanes, {
        ...fake.activities,
        // Keycloak answers slowly; Stripe's re-reads come back at once.
        syncKeycloakUser: async () => {
          await pause(600);
          return { userId: 'kc-user', changed: true };
        },
      }),
    });
    const workflowId = `subscription-subs_${name}`;
    // Everything is waiting before the worker polls: the run's first task meets all of it at once.
    const handle = await env.client.workflow.start(subscriptionWorkflow, {
      workflowId,
      taskQueue,
      args: [
        {
          subscriptionId: `subs_${name}`,
          customerId: `cust_${name}`,
          email: `${name}@example.com`,
          plan: {
            planId: 'plan_starter',
            planCode: 'starter',
            priceId: 'price_starter_m',
            amountCents: 1900,
            interval: 'month',
            trialDays: 0,
          },
          stripeSubscriptionId: `sub_${name}`,
        },
      ],
    });
    for (const type of [
      'customer.subscription.updated',
      'payment_method.attached',
      'checkout.session.completed',
      'payment_method.attached',
    ]) {
      await handle.signal(
        stripeEvent,
        stripeEventOf(type, type.startsWith('customer') ? `sub_${name}` : `pm_${type}`, `sub_${name}`),
      );
    }
    await worker.runUntil(async () => {
      for (let i = 0; i < 100 && fake.activities.syncPaymentMethods.mock.calls.length < 3; i++)
        await pause(100);
      await pause(2000);
      await handle.terminate('test over');
    });
    // The sync chain's Keycloak and Lago calls and the main path's reads and records all ran locally.
    expect(lanes.calls).toBeGreaterThanOrEqual(7);
    expect(lanes.most).toBe(1);
    const history = await env.client.workflow.getHandle(workflowId).fetchHistory();
    // A new run asks one patch (EARLIER_PATCHES_FOLDED) for all of them: each patch asked is a marker and an
    // upsert of TemporalChangeVersion, a write of the run's visibility record (a sign-up's run asked 14).
    const events = history.events ?? [];
    const patches = events.filter((e) => e.markerRecordedEventAttributes?.markerName === 'core_patch');
    const versionUpserts = events.filter(
      (e) =>
        e.upsertWorkflowSearchAttributesEventAttributes?.searchAttributes?.indexedFields
          ?.TemporalChangeVersion,
    );
    expect({ patches: patches.length, versionUpserts: versionUpserts.length }).toEqual({
      patches: 1,
      versionUpserts: 1,
    });
    await expect(
      Worker.runReplayHistory({ workflowBundle: workflowBundle() }, history, workflowId),
    ).resolves.toBeUndefined();
  });
});
