import { Context } from '@temporalio/activity';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import type Stripe from 'stripe';
import { createLagoActivities } from '../../activities/lago';
import { lagoSettingsFrom } from '../../integrations/lago/client';
import { syncCatalog, USAGE_METER_EVENT } from '../../integrations/stripe/catalog-sync';
import { createStripeClient } from '../../integrations/stripe/client';
import { createUsageActivities, type UsageActivityDeps } from '../../activities/usage';
import { createLogger } from '../../config/logger';
import { Plan, UsageEvent, UsageRollup } from '../../db/entities';
import { startLagoFake, type LagoFake } from '../../tools/lago-fake';
import { startStripeEmulator, type StripeEmulator } from '../../tools/stripe-emulator';
import { usageRollupWorkflow } from '../../workflows/usage-rollup';
import { startTestIdp, type TestIdp } from '../helpers/auth';
import { openTestDatabase } from '../helpers/db';
import { startDevServer, TEST_NAMESPACE, workflowBundle } from '../helpers/temporal';
import { seedSubscriber, startUsageApi, storeCustomerKey, type UsageApi } from './fixtures';

jest.setTimeout(180_000);

const MIN = 60_000;

describe('usage rollup to Stripe meters and Lago', () => {
  let env: TestWorkflowEnvironment;
  let db: Awaited<ReturnType<typeof openTestDatabase>>;
  let idp: TestIdp;
  let emulator: StripeEmulator;
  let lago: LagoFake;
  let stripe: Stripe;
  let api: UsageApi;

  beforeAll(async () => {
    [env, db, idp, emulator, lago] = await Promise.all([
      startDevServer(),
      openTestDatabase('sqlite'),
      startTestIdp(),
      startStripeEmulator({ port: 0 }),
      startLagoFake({ port: 0 }),
    ]);
    stripe = createStripeClient({ apiBase: emulator.url }) as Stripe;
    await syncCatalog(stripe, db.orm);
    api = await startUsageApi(db.orm, idp);
  });

  afterAll(async () => {
    await api?.stop();
    await Promise.all([emulator?.stop(), lago?.stop()]);
    await Promise.all([env?.teardown(), db?.close(), idp?.stop()]);
  });

  function workerWith(taskQueue: string, extra: Partial<UsageActivityDeps> = {}) {
    const { sendLagoUsageBatch } = createLagoActivities(lagoSettingsFrom(lago.url, lago.apiKey));
    return Worker.create({
      connection: env.nativeConnection,
      namespace: TEST_NAMESPACE,
      taskQueue,
      workflowBundle: workflowBundle(),
      activities: createUsageActivities({
        orm: db.orm,
        logger: createLogger('silent', 'test'),
        stripe,
        sendLagoUsageBatch,
        ...extra,
      }),
    });
  }

  it('when the worker dies after reporting and before marking, a new worker finishes and each unit is billed once', async () => {
    const now = Date.now();
    // No included credits and 1¢ a unit: Stripe's meter then holds the cents of every unit billed.
    await db.orm.em
      .fork()
      .nativeUpdate(Plan, { code: 'professional' }, { includedCredits: 0, overagePer1kCents: 1000 });
    const stripeCustomer = await stripe.customers.create({ email: 'meter@example.com' });
    const { customer, subscription, sub } = await seedSubscriber(db.orm, {
      email: 'meter@example.com',
      plan: 'professional',
      periodStart: new Date(now - 24 * 60 * MIN),
      stripeCustomerId: stripeCustomer.id,
    });
    await storeCustomerKey(db.orm, customer);
    const token = await idp.token({ sub, email: 'meter@example.com' });
    const at = (ago: number) => new Date(now - ago).toISOString();
    const report = await api.request('POST', '/api/v1/billing/report_usage', {
      token,
      body: {
        events: [
          { id: 'w-1', type: 'inference', quantity: 3, timestamp: at(31 * MIN) },
          { id: 'w-2', type: 'inference', quantity: 4, timestamp: at(30 * MIN) },
          { id: 'w-3', type: 'embedding', quantity: 5, timestamp: at(30 * MIN) },
          { id: 'w-4', type: 'inference', quantity: 7, timestamp: at(20 * MIN) },
          { id: 'w-5', type: 'inference', quantity: 100, timestamp: at(20 * MIN), byok: true },
        ],
      },
    });
    expect(report.body).toMatchObject({ accepted: 5, rejected: 0 });
    const billed = 3 + 4 + 5 + 7; // units, and cents at 1¢ each

    // The first worker reports to both receivers, then dies before it can mark anything as reported.
    const taskQueue = 'usage-rollup-test';
    const arrived = new Set<string>();
    let first: Worker | undefined = undefined;
    const kill = () => first?.getState() === 'RUNNING' && first.shutdown();
    const killer = setTimeout(kill, 15_000);
    first = await workerWith(taskQueue, {
      afterReport: async (system) => {
        arrived.add(system);
        if (arrived.size === 2) kill();
        await Context.current().sleep(120_000); // ends when the shutdown cancels this activity
      },
    });
    const firstRun = first.run();
    const handle = await env.client.workflow.start(usageRollupWorkflow, {
      workflowId: `usage-rollup-${now}`,
      taskQueue,
      args: [{ windowSeconds: 300, intervalSeconds: 1, maxCycles: 1 }],
    });
    await firstRun;
    clearTimeout(killer);
    expect([...arrived].sort()).toEqual(['lago', 'stripe']);

    const em = db.orm.em.fork();
    const rollups = await em.find(UsageRollup, { customer });
    expect(rollups.length).toBeGreaterThanOrEqual(3);
    expect(rollups.every((r) => r.stripeReportedAt == null && r.lagoReportedAt == null)).toBe(true);
    expect(emulator.meterUsage(stripeCustomer.id, USAGE_METER_EVENT)).toBe(billed);

    // A new worker picks the retried activities up and reports the same identifiers again.
    const second = await workerWith(taskQueue);
    const totals = await second.runUntil(handle.result());
    expect(totals).toMatchObject({ cycles: 1, events: 4, failedCycles: 0 });
    // The status query says when the loop last finished a cycle, and no failure.
    expect(Date.parse(totals.lastCycleAt ?? '')).toBeGreaterThan(0);
    expect(totals.lastFailureAt).toBeUndefined();

    expect(emulator.meterUsage(stripeCustomer.id, USAGE_METER_EVENT)).toBe(billed);
    const lagoEvents = lago.events({ externalSubscriptionId: subscription.id });
    expect(lagoEvents.map((e) => e.transaction_id).sort()).toEqual(rollups.map((r) => r.identifier).sort());
    expect(lagoEvents.reduce((n, e) => n + Number(e.properties.value), 0)).toBe(billed);

    const after = await db.orm.em.fork().find(UsageRollup, { customer });
    expect(after).toHaveLength(rollups.length);
    expect(after.every((r) => r.stripeReportedAt != null && r.lagoReportedAt != null)).toBe(true);
    const events = await db.orm.em.fork().find(UsageEvent, { customer }, { orderBy: { eventId: 'asc' } });
    expect(events.map((e) => [e.eventId, e.rollupId != null])).toEqual([
      ['w-1', true],
      ['w-2', true],
      ['w-3', true],
      ['w-4', true],
      ['w-5', true], // the BYOK mark: kept out of every rollup
    ]);
    expect(events.find((e) => e.eventId === 'w-5')?.rollupId).toBe('byok');

    const records = await api.request('GET', '/api/v1/billing/usage_records', { token });
    const w1 = records.body.records.find((r: { event_id: string }) => r.event_id === 'w-1');
    expect(w1).toMatchObject({ status: 'reported', stripe_report_id: expect.stringContaining(customer.id) });
  });
});
