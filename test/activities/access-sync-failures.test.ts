import { ApplicationFailure } from '@temporalio/activity';
import pino from 'pino';
import { createActivities } from '../../activities';
import { AccessSyncFailure } from '../../db/entities';
import type { Dialect } from '../../db/orm';
import { readGaugesFrom, refreshBusinessFigures } from '../../telemetry/database-gauges';
import { registry } from '../../telemetry/registry';
import { startLagoFake, type LagoFake } from '../../tools/lago-fake';
import { openTestDatabase } from '../helpers/db';

let fake: LagoFake;
beforeAll(async () => {
  fake = await startLagoFake({ port: 0 });
});
afterAll(() => fake.stop());
beforeEach(() => fake.reset());

async function failingGauge(system: string): Promise<number | undefined> {
  refreshBusinessFigures();
  const metric = await registry.getSingleMetric('billing_access_sync_failing')?.get();
  return metric?.values.find((v) => v.labels.system === system)?.value;
}

describe.each<Dialect>(['sqlite', 'postgresql'])('access syncs that fail for good, on %s', (dialect) => {
  let db: Awaited<ReturnType<typeof openTestDatabase>>;
  let acts: ReturnType<typeof createActivities>;
  beforeAll(async () => {
    db = await openTestDatabase(dialect);
    readGaugesFrom(db.orm);
    acts = createActivities({
      orm: db.orm,
      logger: pino({ level: 'silent' }),
      lago: { apiUrl: fake.url, apiKey: fake.apiKey, timeoutMs: 5_000 },
    });
  });
  afterAll(() => db.close());

  const rows = () => db.orm.em.fork().find(AccessSyncFailure, {}, { orderBy: { subject: 'asc' } });
  const subscription = (customerId: string, planCode: string) => ({
    subscriptionId: `sub_${customerId}`,
    customerId,
    planCode,
    status: 'active' as const,
  });

  it('a plan code Lago refuses is recorded and counted until a later sync of that customer succeeds', async () => {
    await acts.syncLagoCustomer({ customerId: 'cus_refused', email: 'refused@example.com' });
    const failure = await acts.syncLagoSubscription(subscription('cus_refused', 'no_such_plan')).then(
      () => null,
      (err: unknown) => err,
    );
    expect(failure).toBeInstanceOf(ApplicationFailure);
    expect((failure as ApplicationFailure).nonRetryable).toBe(true);
    expect(await rows()).toEqual([
      expect.objectContaining({ system: 'lago', subject: 'cus_refused', error: expect.any(String) }),
    ]);
    expect(await failingGauge('lago')).toBe(1);
    expect(await failingGauge('keycloak')).toBe(0);

    // The customer's sync alone does not clear it: the subscription's is what was stale.
    await acts.syncLagoCustomer({ customerId: 'cus_refused', email: 'refused@example.com' });
    expect(await rows()).toHaveLength(1);
    await acts.syncLagoSubscription(subscription('cus_refused', 'starter'));
    expect(await rows()).toEqual([]);
    expect(await failingGauge('lago')).toBe(0);
  });

  it('an outage (retried by Temporal) records nothing, and a success with nothing recorded writes nothing', async () => {
    fake.down(true);
    const failure = await acts
      .syncLagoCustomer({ customerId: 'cus_outage', email: 'outage@example.com' })
      .then(
        () => null,
        (err: unknown) => err,
      );
    expect(failure).toMatchObject({ nonRetryable: false });
    fake.down(false);
    await acts.syncLagoCustomer({ customerId: 'cus_outage', email: 'outage@example.com' });
    await acts.syncLagoSubscription(subscription('cus_outage', 'starter'));
    expect(await rows()).toEqual([]);
  });

  it("a Lago failure recorded before Lago's settings were removed clears at the customer's next sync, the only one the workflow then asks", async () => {
    await acts.syncLagoCustomer({ customerId: 'cus_unset', email: 'unset@example.com' });
    await acts.syncLagoSubscription(subscription('cus_unset', 'no_such_plan')).catch(() => undefined);
    await acts.syncLagoCustomer({ customerId: 'cus_other', email: 'other@example.com' });
    await acts.syncLagoSubscription(subscription('cus_other', 'no_such_plan')).catch(() => undefined);
    const mine = async () => (await rows()).filter((r) => ['cus_unset', 'cus_other'].includes(r.subject));
    expect(await mine()).toHaveLength(2);

    const withoutLago = createActivities({ orm: db.orm, logger: pino({ level: 'silent' }) });
    expect(
      await withoutLago.syncLagoCustomer({ customerId: 'cus_unset', email: 'unset@example.com' }),
    ).toEqual({
      skipped: true,
    });
    expect(await mine()).toEqual([expect.objectContaining({ system: 'lago', subject: 'cus_other' })]);
  });

  it('a later failure of the same customer replaces the record instead of adding one', async () => {
    await acts.syncLagoCustomer({ customerId: 'cus_twice', email: 'twice@example.com' });
    await acts.syncLagoSubscription(subscription('cus_twice', 'missing_one')).catch(() => undefined);
    const mine = async () => (await rows()).filter((r) => r.subject === 'cus_twice');
    const [first] = await mine();
    await new Promise((r) => setTimeout(r, 20));
    await acts.syncLagoSubscription(subscription('cus_twice', 'missing_two')).catch(() => undefined);
    const [row, ...more] = await mine();
    expect(more).toEqual([]);
    expect(row!.failedAt.getTime()).toBeGreaterThan(first!.failedAt.getTime());
  });
});
