import { startLagoFake, type LagoFake } from '../../tools/lago-fake';
import { call, usageEvent } from './helpers';

let fake: LagoFake;
beforeAll(async () => {
  fake = await startLagoFake({ port: 0 });
});
afterAll(() => fake.stop());
beforeEach(() => fake.reset());

const range = (n: number, prefix: string) =>
  Array.from({ length: n }, (_, i) => usageEvent(`${prefix}-${i}`));

describe('single events', () => {
  it('stores an event and refuses the same transaction_id again with value_already_exist', async () => {
    const first = await call(fake, 'POST', '/events', { event: usageEvent('tx-1') });
    expect(first.status).toBe(200);
    expect(first.body.event).toMatchObject({ transaction_id: 'tx-1', timestamp: '2025-01-01T00:00:00.000Z' });
    const again = await call(fake, 'POST', '/events', { event: usageEvent('tx-1') });
    expect(again.status).toBe(422);
    expect(again.body.error_details).toEqual({ transaction_id: ['value_already_exist'] });
    expect(fake.events()).toHaveLength(1);
  });

  it('accepts the same transaction_id for another subscription', async () => {
    await call(fake, 'POST', '/events', { event: usageEvent('tx-1', 'sub-a') });
    const other = await call(fake, 'POST', '/events', { event: usageEvent('tx-1', 'sub-b') });
    expect(other.status).toBe(200);
  });

  it('refuses an ISO 8601 timestamp, as Lago reads only Unix seconds', async () => {
    const res = await call(fake, 'POST', '/events', {
      event: { ...usageEvent('tx-1'), timestamp: '2025-01-01T00:00:00Z' },
    });
    expect(res.body.error_details).toEqual({ timestamp: ['invalid_format'] });
  });
});

describe('batches', () => {
  it('stores up to 100 events in one request', async () => {
    const res = await call(fake, 'POST', '/events/batch', { events: range(100, 'ok') });
    expect(res.status).toBe(200);
    expect(res.body.events).toHaveLength(100);
    expect(fake.events()).toHaveLength(100);
  });

  it('refuses a batch of 101 whole, storing none of it', async () => {
    const res = await call(fake, 'POST', '/events/batch', { events: range(101, 'big') });
    expect(res.status).toBe(422);
    expect(res.body.error_details).toEqual({ events: ['too_many_events'] });
    expect(fake.events()).toEqual([]);
  });

  it('refuses a batch holding one known transaction_id, naming its index and storing nothing', async () => {
    await call(fake, 'POST', '/events', { event: usageEvent('seen') });
    const batch = [usageEvent('new-1'), usageEvent('seen'), usageEvent('new-2')];
    const res = await call(fake, 'POST', '/events/batch', { events: batch });
    expect(res.status).toBe(422);
    expect(res.body.error_details).toEqual({ '1': { transaction_id: ['value_already_exist'] } });
    expect(fake.events().map((e) => e.transaction_id)).toEqual(['seen']);
  });

  it('treats a transaction_id repeated inside one batch as a duplicate', async () => {
    const res = await call(fake, 'POST', '/events/batch', { events: [usageEvent('a'), usageEvent('a')] });
    expect(res.body.error_details).toEqual({ '1': { transaction_id: ['value_already_exist'] } });
    expect(fake.events()).toEqual([]);
  });

  it('refuses a batch with an invalid event, naming the field', async () => {
    const res = await call(fake, 'POST', '/events/batch', {
      events: [usageEvent('a'), { ...usageEvent('b'), code: '' }],
    });
    expect(res.body.error_details).toEqual({ '1': { code: ['value_is_mandatory'] } });
    expect(fake.events()).toEqual([]);
  });
});

describe('faults', () => {
  it('answers 503 while down in unavailable mode and serves again once back', async () => {
    fake.down(true, 'unavailable');
    expect((await call(fake, 'GET', '/customers/c-1')).status).toBe(503);
    fake.down(false);
    expect((await call(fake, 'GET', '/customers/c-1')).status).toBe(404);
  });

  it('drops connections while down in refuse mode', async () => {
    fake.down(true);
    await expect(call(fake, 'GET', '/customers/c-1')).rejects.toThrow(/fetch failed/);
    fake.down(false);
    expect((await call(fake, 'GET', '/customers/c-1')).status).toBe(404);
  });

  it('fails the next requests with the status asked for', async () => {
    fake.failNext(429, { count: 2 });
    expect((await call(fake, 'GET', '/customers/c-1')).status).toBe(429);
    expect((await call(fake, 'GET', '/customers/c-1')).status).toBe(429);
    expect((await call(fake, 'GET', '/customers/c-1')).status).toBe(404);
  });
});
