import { createLagoActivities, type LagoUsageEvent } from '../../activities/lago';
import { startLagoFake, type LagoFake } from '../../tools/lago-fake';

let fake: LagoFake;
let lago: ReturnType<typeof createLagoActivities>;
beforeAll(async () => {
  fake = await startLagoFake({ port: 0 });
  lago = createLagoActivities({ apiUrl: fake.url, apiKey: fake.apiKey });
});
afterAll(() => fake.stop());
beforeEach(() => fake.reset());

const usage = (n: number, prefix = 'evt'): LagoUsageEvent[] =>
  Array.from({ length: n }, (_, i) => ({
    transactionId: `${prefix}-${i}`,
    externalSubscriptionId: 'subs_1',
    code: 'inference',
    timestamp: new Date(Date.UTC(2025, 0, 1, 0, 0, i)).toISOString(),
    properties: { tokens: i },
  }));

const batchRequests = () => fake.requests().filter((r) => r.path === '/api/v1/events/batch');

describe('sendLagoUsageBatch', () => {
  it('sends 250 events as 3 batch requests of at most 100', async () => {
    const result = await lago.sendLagoUsageBatch(usage(250));
    expect(result).toEqual({ skipped: false, sent: 250, duplicates: 0, requests: 3 });
    expect(batchRequests()).toHaveLength(3);
    expect(fake.events()).toHaveLength(250);
  });

  it('sends timestamps as Unix seconds and keeps properties', async () => {
    await lago.sendLagoUsageBatch(usage(2));
    expect(fake.events()[1]).toMatchObject({
      transaction_id: 'evt-1',
      code: 'inference',
      timestamp: '2025-01-01T00:00:01.000Z',
      properties: { tokens: 1 },
    });
  });

  it('counts a full replay as duplicates and stores nothing twice', async () => {
    const events = usage(250);
    await lago.sendLagoUsageBatch(events);
    const replay = await lago.sendLagoUsageBatch(events);
    expect(replay).toEqual({ skipped: false, sent: 0, duplicates: 250, requests: 3 });
    expect(fake.events()).toHaveLength(250);
  });

  it('sends the new events of a batch that also holds known ones', async () => {
    const events = usage(150);
    await lago.sendLagoUsageBatch(events.slice(0, 50));
    const result = await lago.sendLagoUsageBatch(events);
    // First hundred: refused for its 50 known ids, then resent without them; then the last fifty.
    expect(result).toEqual({ skipped: false, sent: 100, duplicates: 50, requests: 3 });
    expect(new Set(fake.events().map((e) => e.transaction_id)).size).toBe(150);
    expect(fake.events()).toHaveLength(150);
  });

  it('fails non-retryably with InvalidRequest when Lago refuses an event for another reason', async () => {
    const events = [...usage(1), { ...usage(1, 'bad')[0]!, code: '' }];
    await expect(lago.sendLagoUsageBatch(events)).rejects.toMatchObject({
      type: 'InvalidRequest',
      nonRetryable: true,
    });
    expect(fake.events()).toEqual([]);
  });

  it('refuses an unreadable timestamp before sending anything', async () => {
    const events = [{ ...usage(1)[0]!, timestamp: 'yesterday' }];
    await expect(lago.sendLagoUsageBatch(events)).rejects.toMatchObject({ type: 'InvalidRequest' });
    expect(fake.requests()).toEqual([]);
  });
});
