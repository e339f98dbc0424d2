import { backoffMs, batchBody, readBatchAnswer } from '../src/reporter';
import type { SpooledEvent } from '../src/spool';

const events: SpooledEvent[] = ['a', 'b', 'c'].map((id) => ({
  id,
  customer: id === 'c' ? { userId: 'kc-1' } : { email: 'ada@example.com' },
  type: 'inference',
  quantity: 1,
  timestamp: '2026-11-26T10:00:00.000Z',
}));
const rejected = [{ index: 1, reason: 'unknown_type' }];

describe("reading the engine's answer to a report", () => {
  it.each([
    [
      '200 with its rejections',
      200,
      null,
      { accepted: 2, rejected_events: rejected },
      { kind: 'answered', rejected: [{ event: events[1], reason: 'unknown_type' }] },
    ],
    [
      '429 that refused the batch whole',
      429,
      '3600',
      { error: { code: 'daily_quota_exceeded', details: { rejected_events: rejected } } },
      { kind: 'answered', rejected: [{ event: events[1], reason: 'unknown_type' }] },
    ],
    [
      '429 without an outcome',
      429,
      '2',
      { error: { code: 'rate_limited' } },
      { kind: 'retry', retryAfterMs: 2000, why: 'rate_limited', renewToken: false },
    ],
    [
      '503 shed, Retry-After in seconds',
      503,
      '1',
      { error: { code: 'overloaded' } },
      { kind: 'retry', retryAfterMs: 1000, why: 'overloaded', renewToken: false },
    ],
    [
      '502 from a proxy, not JSON',
      502,
      null,
      null,
      { kind: 'retry', retryAfterMs: null, why: 'http_502', renewToken: false },
    ],
    [
      '401: the token is renewed',
      401,
      null,
      { error: { code: 'unauthorized' } },
      { kind: 'retry', retryAfterMs: null, why: 'unauthorized', renewToken: true },
    ],
    [
      '403: a configuration to fix, sent again meanwhile',
      403,
      null,
      { error: { code: 'forbidden' } },
      { kind: 'retry', retryAfterMs: null, why: 'forbidden', renewToken: false },
    ],
    [
      '400: never takeable, refused for good',
      400,
      null,
      { error: { code: 'validation_failed' } },
      { kind: 'answered', rejected: events.map((event) => ({ event, reason: 'validation_failed' })) },
    ],
    [
      '200 without an outcome',
      200,
      null,
      { ok: true },
      { kind: 'retry', retryAfterMs: null, why: 'an answer without rejected_events', renewToken: false },
    ],
  ])('%s', (_name, status, retryAfter, body, outcome) => {
    expect(readBatchAnswer(events, status, retryAfter, body)).toEqual(outcome);
  });

  it('caps a Retry-After at an hour and reads an HTTP date', () => {
    expect(readBatchAnswer(events, 503, '999999', null)).toMatchObject({ retryAfterMs: 3_600_000 });
    const at = new Date(Date.now() + 5000).toUTCString();
    const wait = (readBatchAnswer(events, 503, at, null) as { retryAfterMs: number }).retryAfterMs;
    expect(wait).toBeGreaterThan(3000);
    expect(wait).toBeLessThanOrEqual(5000);
  });

  it('names each event’s customer in the batch body', () => {
    expect(JSON.parse(batchBody(events))).toEqual({
      events: [
        {
          id: 'a',
          type: 'inference',
          quantity: 1,
          timestamp: '2026-11-26T10:00:00.000Z',
          customer_email: 'ada@example.com',
        },
        {
          id: 'b',
          type: 'inference',
          quantity: 1,
          timestamp: '2026-11-26T10:00:00.000Z',
          customer_email: 'ada@example.com',
        },
        { id: 'c', type: 'inference', quantity: 1, timestamp: '2026-11-26T10:00:00.000Z', user_id: 'kc-1' },
      ],
    });
  });

  it('carries an event’s subject when it has one', () => {
    const [first] = events;
    const body = JSON.parse(batchBody([{ ...first!, subject: 'project-a' }]));
    expect(body.events[0]).toMatchObject({ id: 'a', subject: 'project-a' });
    expect(JSON.parse(batchBody(events)).events[0]).not.toHaveProperty('subject');
  });

  it('backs off from a quarter second, doubling to half a minute, with jitter', () => {
    expect(backoffMs(0, () => 1)).toBe(250);
    expect(backoffMs(0, () => 0)).toBe(125);
    expect(backoffMs(3, () => 1)).toBe(2000);
    expect(backoffMs(50, () => 1)).toBe(30_000);
  });
});
