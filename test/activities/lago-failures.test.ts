import { ApplicationFailure } from '@temporalio/activity';
import { createLagoActivities } from '../../activities/lago';
import { startLagoFake, type LagoFake } from '../../tools/lago-fake';

let fake: LagoFake;
let lago: ReturnType<typeof createLagoActivities>;
beforeAll(async () => {
  fake = await startLagoFake({ port: 0 });
  lago = createLagoActivities({ apiUrl: fake.url, apiKey: fake.apiKey, timeoutMs: 5_000 });
});
afterAll(() => fake.stop());
beforeEach(() => fake.reset());

const customer = { customerId: 'cust_1', email: 'ada@example.com' };

async function failureOf(promise: Promise<unknown>): Promise<ApplicationFailure> {
  const err: unknown = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ApplicationFailure);
  return err as ApplicationFailure;
}

describe('failure classification', () => {
  it('while Lago refuses connections the activity fails retryably, and succeeds once it is back', async () => {
    fake.down(true);
    const failure = await failureOf(lago.syncLagoCustomer(customer));
    expect(failure).toMatchObject({ type: 'LagoUnavailable', nonRetryable: false });
    fake.down(false);
    await expect(lago.syncLagoCustomer(customer)).resolves.toMatchObject({ skipped: false });
    expect(fake.customers()).toHaveLength(1);
  });

  it('a 503 outage during a usage batch is retryable and the retry stores every event once', async () => {
    const events = Array.from({ length: 120 }, (_, i) => ({
      transactionId: `t-${i}`,
      externalSubscriptionId: 'subs_1',
      code: 'inference',
      timestamp: 1735689600 + i,
    }));
    fake.down(true, 'unavailable');
    expect(await failureOf(lago.sendLagoUsageBatch(events))).toMatchObject({ nonRetryable: false });
    fake.down(false);
    await expect(lago.sendLagoUsageBatch(events)).resolves.toMatchObject({ sent: 120 });
    expect(fake.events()).toHaveLength(120);
  });

  it('a 429 is retryable', async () => {
    fake.failNext(429);
    expect(await failureOf(lago.syncLagoCustomer(customer))).toMatchObject({
      type: 'LagoUnavailable',
      nonRetryable: false,
    });
  });

  it('a wrong API key is a non-retryable LagoMisconfigured', async () => {
    const wrong = createLagoActivities({ apiUrl: fake.url, apiKey: 'not-the-key' });
    expect(await failureOf(wrong.syncLagoCustomer(customer))).toMatchObject({
      type: 'LagoMisconfigured',
      nonRetryable: true,
    });
  });

  it('a refused request is a non-retryable InvalidRequest carrying Lago’s error details', async () => {
    const failure = await failureOf(lago.syncLagoCustomer({ ...customer, email: 'not an email' }));
    expect(failure).toMatchObject({ type: 'InvalidRequest', nonRetryable: true });
    expect(failure.details).toEqual([
      { status: 422, code: 'validation_errors', errorDetails: { email: ['invalid_email_format'] } },
    ]);
  });
});
