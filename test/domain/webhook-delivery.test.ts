import fc from 'fast-check';
import {
  attemptResult,
  DEFAULT_RETRY_POLICY,
  deliveredStatus,
  endpointWants,
  fanOut,
  nextAttemptAt,
  responseExcerpt,
  shouldDisable,
} from '../../domain/webhook-delivery';

const t0 = new Date('2026-11-24T00:00:00Z');
const after = (ms: number) => new Date(t0.getTime() + ms);
const policy = { firstDelayMs: 1000, maxDelayMs: 60_000, retryForMs: 3_600_000 };

describe('when a failed webhook delivery is tried again', () => {
  it.each([
    ['after the first failure, between half and all of the first delay', 1, 0, 500],
    ['the same, with the largest draw', 1, 1, 1000],
    ['after the third failure, four times the first delay at most', 3, 1, 4000],
    ['after the third failure, twice the first delay at least', 3, 0, 2000],
    ['far along, never more than the longest delay', 30, 1, 60_000],
    ['a draw outside 0..1 is clamped', 2, 7, 2000],
    ['a nonsense attempt number counts as the first', -4, 1, 1000],
  ])('%s', (_name, attempt, random, delayMs) => {
    expect(nextAttemptAt(policy, attempt, t0, t0, random)).toEqual(after(delayMs));
  });

  it('gives up once the next try would fall past the retry window from the first attempt', () => {
    expect(nextAttemptAt(policy, 5, t0, after(3_599_000), 1)).toBeNull();
    expect(nextAttemptAt(policy, 5, t0, after(3_000_000), 0)).toEqual(after(3_008_000));
  });

  it('by default retries for three days, at most an hour apart', () => {
    const longest = nextAttemptAt(DEFAULT_RETRY_POLICY, 100, t0, t0, 1)!;
    expect(longest.getTime() - t0.getTime()).toBe(3_600_000);
    expect(nextAttemptAt(DEFAULT_RETRY_POLICY, 100, t0, after(3 * 86_400_000 - 3_600_000), 1)).not.toBeNull();
    expect(nextAttemptAt(DEFAULT_RETRY_POLICY, 100, t0, after(3 * 86_400_000), 0)).toBeNull();
  });

  it('never answers a time before now, and each step waits at least half of the one before', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 200 }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        (attempt, r1, r2) => {
          const a = nextAttemptAt(DEFAULT_RETRY_POLICY, attempt, t0, t0, r1)!;
          const b = nextAttemptAt(DEFAULT_RETRY_POLICY, attempt + 1, t0, t0, r2)!;
          expect(a.getTime()).toBeGreaterThan(t0.getTime());
          expect(b.getTime() - t0.getTime()).toBeGreaterThanOrEqual((a.getTime() - t0.getTime()) / 2);
        },
      ),
    );
  });
});

describe('when an endpoint that keeps failing is turned off', () => {
  it.each([
    ['one that is not failing', null, 10_000, false],
    ['one failing for less than the window', t0, 4_999, false],
    ['one failing for exactly the window', t0, 5_000, true],
    ['one failing for longer', t0, 50_000, true],
  ])('%s', (_name, since, elapsed, off) => {
    expect(shouldDisable(since, after(elapsed), 5_000)).toBe(off);
  });
});

describe('what counts as delivered', () => {
  it.each([
    [200, true],
    [204, true],
    [299, true],
    [199, false],
    [301, false],
    [302, false],
    [410, false],
    [500, false],
  ])('status %i', (status, ok) => expect(deliveredStatus(status)).toBe(ok));
});

describe("what the delivery log keeps of a receiver's answer", () => {
  it('keeps printable text, tabs and new lines', () => {
    expect(responseExcerpt('ok\tdone\nthanks')).toBe('ok\tdone\nthanks');
  });
  it('drops control characters and terminal escape sequences', () => {
    expect(responseExcerpt('a\u0000b\u001b[31mred\u007f\u0085\u2028c')).toBe('ab[31mredc');
  });
  it('keeps 500 characters of a huge answer and marks the cut', () => {
    const kept = responseExcerpt('x'.repeat(100_000));
    expect(kept).toHaveLength(501);
    expect(kept.endsWith('…')).toBe(true);
  });
  it('keeps non-Latin text whole', () => {
    expect(responseExcerpt('受け付けました 👍')).toBe('受け付けました 👍');
  });
});

describe('which endpoints receive an event', () => {
  it.each([
    ['an enabled endpoint that asked for the type', true, ['invoice.paid'], 'invoice.paid', true],
    ['an enabled endpoint that did not', true, ['invoice.paid'], 'charge.refunded', false],
    ['a disabled endpoint', false, ['invoice.paid'], 'invoice.paid', false],
  ])('%s', (_name, enabled, eventTypes, type, wanted) => {
    expect(endpointWants({ enabled, eventTypes }, type)).toBe(wanted);
  });
});

describe("what one attempt makes of a delivery and its endpoint's streak", () => {
  const rules = { retry: policy, disableAfterMs: 86_400_000 };
  const pending = {
    status: 'pending' as const,
    attempts: 2,
    firstAttemptAt: t0,
    nextAttemptAt: after(4000),
    deliveredAt: null,
    endpoint: { enabled: true, failingSince: t0 },
  };
  const at = after(5000);
  const tried = (ok: boolean, manual = false, now = at) => ({ ok, at, now, manual, random: 1 });

  it('a success ends the delivery and the streak, and counts no try', () => {
    expect(attemptResult(pending, tried(true), rules)).toEqual({
      outcome: 'delivered',
      delivery: {
        status: 'succeeded',
        attempts: 2,
        firstAttemptAt: t0,
        nextAttemptAt: null,
        deliveredAt: at,
      },
      failingSince: null,
      turnOff: false,
    });
  });

  it('a failed try of the queue counts and is scheduled again with backoff', () => {
    const r = attemptResult(pending, tried(false), rules);
    expect(r).toMatchObject({ outcome: 'retry', failingSince: t0, turnOff: false });
    expect(r.delivery).toEqual({
      status: 'pending',
      attempts: 3,
      firstAttemptAt: t0,
      nextAttemptAt: after(5000 + 4000),
      deliveredAt: null,
    });
  });

  it("the first failure starts the delivery's window and the endpoint's streak at the attempt", () => {
    const fresh = {
      ...pending,
      attempts: 0,
      firstAttemptAt: null,
      nextAttemptAt: null,
      endpoint: { enabled: true, failingSince: null },
    };
    const r = attemptResult(fresh, tried(false), rules);
    expect(r.delivery).toMatchObject({ attempts: 1, firstAttemptAt: at, nextAttemptAt: after(5000 + 1000) });
    expect(r.failingSince).toEqual(at);
  });

  it('a failure past the retry window gives the delivery up', () => {
    const r = attemptResult(pending, tried(false, false, after(3_600_000)), rules);
    expect(r).toMatchObject({
      outcome: 'given_up',
      delivery: { status: 'failed', attempts: 3, nextAttemptAt: null },
    });
  });

  it.each([
    ['turns the endpoint off once it has failed for the whole window', true, after(86_400_000), true],
    ['leaves it on a moment before', true, after(86_399_999), false],
    ['never turns off an endpoint already off', false, after(86_400_000), false],
  ])('%s', (_name, enabled, now, turnOff) => {
    const record = { ...pending, endpoint: { enabled, failingSince: t0 } };
    const longWindow = { ...rules, retry: { ...policy, retryForMs: 10 * 86_400_000 } };
    expect(attemptResult(record, tried(false, false, now), longWindow).turnOff).toBe(turnOff);
  });

  it("an admin's failed redelivery starts the streak and changes nothing else", () => {
    const done = {
      ...pending,
      status: 'failed' as const,
      nextAttemptAt: null,
      endpoint: { enabled: true, failingSince: null },
    };
    const r = attemptResult(done, tried(false, true, after(10 * 86_400_000)), rules);
    expect(r).toEqual({
      outcome: 'retry',
      delivery: { status: 'failed', attempts: 2, firstAttemptAt: t0, nextAttemptAt: null, deliveredAt: null },
      failingSince: at,
      turnOff: false,
    });
  });

  it('an endpoint deleted meanwhile gets no streak and is not turned off', () => {
    const r = attemptResult({ ...pending, endpoint: null }, tried(false, false, after(86_400_000)), {
      ...rules,
      retry: { ...policy, retryForMs: 10 * 86_400_000 },
    });
    expect(r).toMatchObject({ failingSince: null, turnOff: false, outcome: 'retry' });
  });
});

describe('which deliveries a pass of events makes', () => {
  const event = (id: string, customerId: string | null, type: string) => ({
    id,
    customerId,
    type,
    createdAt: t0,
  });
  const all = { id: 'we_all', enabled: true, eventTypes: ['invoice.paid', 'subscription.updated'] };
  const paidOnly = { id: 'we_paid', enabled: true, eventTypes: ['invoice.paid'] };
  const off = { id: 'we_off', enabled: false, eventTypes: ['invoice.paid'] };

  it("lines each endpoint's deliveries up per customer, in the events' order, each queue named once", () => {
    const events = [
      event('ev1', 'cust_a', 'invoice.paid'),
      event('ev2', 'cust_a', 'subscription.updated'),
      event('ev3', null, 'invoice.paid'),
    ];
    const { deliveries, queues } = fanOut(events, [all, paidOnly, off]);
    expect(deliveries.map((d) => `${d.event.id}>${d.endpointId}/${d.queueKey}`)).toEqual([
      'ev1>we_all/cust_a',
      'ev1>we_paid/cust_a',
      'ev2>we_all/cust_a',
      'ev3>we_all/',
      'ev3>we_paid/',
    ]);
    expect(queues).toEqual([
      { endpointId: 'we_all', queueKey: 'cust_a' },
      { endpointId: 'we_paid', queueKey: 'cust_a' },
      { endpointId: 'we_all', queueKey: '' },
      { endpointId: 'we_paid', queueKey: '' },
    ]);
  });

  it('makes nothing of events no enabled endpoint asked for', () => {
    expect(fanOut([event('ev1', 'cust_a', 'customer.created')], [all, paidOnly, off])).toEqual({
      deliveries: [],
      queues: [],
    });
    expect(fanOut([event('ev1', 'cust_a', 'invoice.paid')], [off])).toEqual({ deliveries: [], queues: [] });
  });
});
