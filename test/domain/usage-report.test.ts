import {
  decideReport,
  planReport,
  settleReport,
  usageEventKey,
  type IncomingEvent,
  type ReportContext,
  type UsageTarget,
} from '../../domain/usage-report';

const NOW = new Date('2026-03-10T10:00:00.000Z');
const RESETS_AT = new Date('2026-03-11T00:00:00.000Z');
const PERIOD_START = new Date('2026-03-01T00:00:00.000Z');

const target = (over: Partial<UsageTarget> = {}): UsageTarget => ({
  customerId: 'cus_1',
  grantsUsage: true,
  periodStart: PERIOD_START,
  dailyLimit: 100,
  byokInPlan: true,
  byokProviders: new Set(['openai']),
  usedToday: 0,
  credit: null,
  ...over,
});

const context = (self: UsageTarget | null = target(), over: Partial<ReportContext> = {}): ReportContext => ({
  reporter: 'self',
  now: NOW,
  today: '2026-03-10',
  resetsAt: RESETS_AT,
  eventTargets: Array(10).fill('self'),
  targets: new Map([['self', self]]),
  knownTypes: new Set(['inference', 'embedding']),
  ...over,
});

const event = (over: Partial<IncomingEvent> = {}): IncomingEvent => ({
  index: 0,
  eventId: 'e-1',
  type: 'inference',
  quantity: 1,
  timestamp: null,
  metadata: {},
  byok: false,
  customerEmail: null,
  userId: null,
  ...over,
});

const mint = () => 'uevt_minted';
const gateway = { role: 'billing-gateway' as const, email: 'gw@example.com', sub: 'svc' };
const person = { role: 'viewer' as const, email: 'ann@example.com', sub: 'kc-ann' };
const at = (iso: string) => new Date(iso);

describe('which events of a report are refused, and why', () => {
  it.each`
    case                                        | self                                    | ev                                                            | reason
    ${'a caller with no usable target'}         | ${null}                                 | ${event()}                                                    | ${'customer_not_found'}
    ${'a type the engine does not know'}        | ${target()}                             | ${event({ type: 'rerank' })}                                  | ${'unknown_type'}
    ${'no subscription that grants usage'}      | ${target({ grantsUsage: false })}       | ${event()}                                                    | ${'no_active_subscription'}
    ${'BYOK on a plan without it'}              | ${target({ byokInPlan: false })}        | ${event({ byok: true })}                                      | ${'byok_not_in_plan'}
    ${'BYOK with no key stored'}                | ${target({ byokProviders: new Set() })} | ${event({ byok: true })}                                      | ${'byok_key_not_stored'}
    ${'BYOK naming a provider with no key'}     | ${target()}                             | ${event({ byok: true, metadata: { provider: 'anthropic' } })} | ${'byok_key_not_stored'}
    ${'BYOK naming a provider with a key'}      | ${target()}                             | ${event({ byok: true, metadata: { provider: 'openai' } })}    | ${null}
    ${'a timestamp 5 minutes ahead (the skew)'} | ${target()}                             | ${event({ timestamp: at('2026-03-10T10:05:00.000Z') })}       | ${null}
    ${'a timestamp past the skew'}              | ${target()}                             | ${event({ timestamp: at('2026-03-10T10:05:00.001Z') })}       | ${'timestamp_in_future'}
    ${'a timestamp at the period start'}        | ${target()}                             | ${event({ timestamp: PERIOD_START })}                         | ${null}
    ${'a timestamp before the period start'}    | ${target()}                             | ${event({ timestamp: at('2026-02-28T23:59:59.999Z') })}       | ${'before_billing_period'}
    ${'unknown type wins over no subscription'} | ${target({ grantsUsage: false })}       | ${event({ type: 'rerank' })}                                  | ${'unknown_type'}
    ${'an unused quota'}                        | ${target({ usedToday: 99 })}            | ${event()}                                                    | ${null}
  `('$case → $reason', ({ self, ev, reason }) => {
    const d = decideReport(context(self), [ev], mint);
    if (reason === null) {
      expect(d.rejections).toEqual([]);
      expect(d.toStore).toHaveLength(1);
    } else {
      expect(d.rejections).toEqual([expect.objectContaining({ index: 0, id: 'e-1', reason })]);
      expect(d.toStore).toEqual([]);
    }
  });

  it.each`
    case                                   | named                                 | reason                  | message
    ${'the gateway naming no one'}         | ${{}}                                 | ${'customer_not_found'} | ${'The gateway must name the customer (customer_email or user_id)'}
    ${'the gateway naming an unknown one'} | ${{ customerEmail: 'x@example.com' }} | ${'customer_not_found'} | ${'No customer with that email or user id'}
  `('$case → $reason', ({ named, reason, message }) => {
    const events = [event(named)];
    const ctx = context(null, {
      reporter: 'gateway',
      eventTargets: planReport(gateway, events, NOW).eventTargets,
      targets: new Map([
        ['none', null],
        ['email:x@example.com|user:', null],
      ]),
    });
    expect(decideReport(ctx, events, mint).rejections).toEqual([{ index: 0, id: 'e-1', reason, message }]);
  });
});

describe('what a kept event is stored as', () => {
  it('a future timestamp within the skew is taken as now, a missing id is minted, BYOK is not counted', () => {
    const [row] = decideReport(
      context(),
      [event({ eventId: null, byok: true, timestamp: at('2026-03-10T10:01:00.000Z'), metadata: { a: 1 } })],
      mint,
    ).toStore;
    expect(row).toEqual({
      index: 0,
      customerId: 'cus_1',
      eventId: 'uevt_minted',
      reporter: 'self',
      type: 'inference',
      quantity: 1,
      metadata: '{"a":1}',
      occurredAt: NOW,
      day: '2026-03-10',
      counted: false,
    });
  });
});

describe('duplicates and the daily cap, decided before the write', () => {
  it.each`
    case                                         | usedToday | events                                                    | toStore   | overCap   | repeats
    ${'a copy within the batch'}                 | ${0}      | ${[event(), event({ index: 1 })]}                         | ${[0]}    | ${[]}     | ${[1]}
    ${'two ids are two events'}                  | ${0}      | ${[event(), event({ index: 1, eventId: 'e-2' })]}         | ${[0, 1]} | ${[]}     | ${[]}
    ${"a full day sets today's events apart"}    | ${100}    | ${[event(), event({ index: 1, eventId: 'e-2' })]}         | ${[]}     | ${[0, 1]} | ${[]}
    ${'a full day still takes BYOK usage'}       | ${100}    | ${[event({ byok: true })]}                                | ${[0]}    | ${[]}     | ${[]}
    ${"a full day still takes another day's"}    | ${100}    | ${[event({ timestamp: at('2026-03-09T12:00:00.000Z') })]} | ${[0]}    | ${[]}     | ${[]}
    ${'one below the cap is not full'}           | ${99}     | ${[event()]}                                              | ${[0]}    | ${[]}     | ${[]}
    ${'a copy of a set-apart event is a repeat'} | ${100}    | ${[event(), event({ index: 1 })]}                         | ${[]}     | ${[0]}    | ${[1]}
  `('$case', ({ usedToday, events, toStore, overCap, repeats }) => {
    const d = decideReport(context(target({ usedToday })), events, mint);
    expect(d.toStore.map((r) => r.index)).toEqual(toStore);
    expect(d.overCap.map((r) => r.index)).toEqual(overCap);
    expect(d.repeats.map((r) => r.index)).toEqual(repeats);
  });
});

describe('the answer once the ledger has spoken', () => {
  const ctx = context();
  const two = [event(), event({ index: 1, eventId: 'e-2' })];

  it.each`
    case                                            | usedToday | events                            | stored            | inserted | droppedIdx | accepted | duplicate | refused   | retry
    ${'both new'}                                   | ${0}      | ${two}                            | ${[]}             | ${2}     | ${[]}      | ${2}     | ${0}      | ${[]}     | ${null}
    ${'one already stored'}                         | ${0}      | ${two}                            | ${[]}             | ${1}     | ${[]}      | ${1}     | ${1}      | ${[]}     | ${null}
    ${'the ledger dropped the newest at the cap'}   | ${0}      | ${two}                            | ${[]}             | ${2}     | ${[1]}     | ${1}     | ${0}      | ${[1]}    | ${null}
    ${'a full day: a stored replay is a duplicate'} | ${100}    | ${two}                            | ${['e-1']}        | ${null}  | ${[]}      | ${0}     | ${1}      | ${[1]}    | ${50400}
    ${'a full day: all replays, nothing refused'}   | ${100}    | ${two}                            | ${['e-1', 'e-2']} | ${null}  | ${[]}      | ${0}     | ${2}      | ${[]}     | ${null}
    ${'a copy of a refused event is refused too'}   | ${100}    | ${[event(), event({ index: 1 })]} | ${[]}             | ${null}  | ${[]}      | ${0}     | ${0}      | ${[0, 1]} | ${50400}
    ${'a copy of a kept event is a duplicate'}      | ${0}      | ${[event(), event({ index: 1 })]} | ${[]}             | ${1}     | ${[]}      | ${1}     | ${1}      | ${[]}     | ${null}
  `('$case', ({ usedToday, events, stored, inserted, droppedIdx, accepted, duplicate, refused, retry }) => {
    const decision = decideReport(context(target({ usedToday })), events, mint);
    const dropped = decision.toStore.filter((r) => droppedIdx.includes(r.index));
    const storedOverCap = new Set(
      (stored as string[]).map((eventId) =>
        usageEventKey({ customerId: 'cus_1', reporter: 'self', eventId }),
      ),
    );
    const { outcome, refusedWhole } = settleReport({
      ctx,
      decision,
      earlier: [],
      storedOverCap,
      written: inserted === null ? null : { inserted, dropped, refused: [] },
      ownQuota: null,
    });
    const retryAfterSeconds = refusedWhole?.retryAfterSeconds ?? null;
    expect(outcome).toMatchObject({ accepted, duplicate, rejected: refused.length, quota: null });
    expect(outcome.rejectedEvents.map((r) => r.index)).toEqual(refused);
    for (const r of outcome.rejectedEvents) {
      expect(r).toMatchObject({
        reason: 'daily_quota_exceeded',
        message: 'The daily limit is used up until 2026-03-11T00:00:00.000Z',
      });
    }
    expect(retryAfterSeconds).toBe(retry);
  });

  it('merges the refusals of parsing with the decided ones by index, and reports the own quota', () => {
    const decision = decideReport(ctx, [event({ index: 2, type: 'rerank' }), event({ index: 0 })], mint);
    const { outcome } = settleReport({
      ctx,
      decision,
      earlier: [{ index: 1, id: null, reason: 'invalid', message: 'events.1.quantity: too big' }],
      storedOverCap: new Set(),
      written: { inserted: 1, dropped: [], refused: [] },
      ownQuota: { limit: 100, usedToday: 130 },
    });
    expect(outcome.rejectedEvents.map((r) => [r.index, r.reason])).toEqual([
      [1, 'invalid'],
      [2, 'unknown_type'],
    ]);
    expect(outcome.quota).toEqual({ limit: 100, usedToday: 130, remainingToday: 0, resetsAt: RESETS_AT });
  });
});

describe('the answer when the credit ledger refused events', () => {
  const ctx = context(target({ dailyLimit: null }));
  const PERIOD_END = new Date('2026-04-01T00:00:00.000Z');

  it.each`
    case                                                 | refusedIdx | reason                 | accepted | whole
    ${'one refused at the cap, one kept: not whole'}     | ${[1]}     | ${'spend_cap_reached'} | ${1}     | ${null}
    ${'all refused at the cap: whole, until period end'} | ${[0, 1]}  | ${'spend_cap_reached'} | ${0}     | ${'spend_cap_reached'}
    ${'all refused at a zero prepaid balance'}           | ${[0, 1]}  | ${'credits_exhausted'} | ${0}     | ${'credits_exhausted'}
  `('$case', ({ refusedIdx, reason, accepted, whole }) => {
    const decision = decideReport(ctx, [event(), event({ index: 1, eventId: 'e-2' })], mint);
    const refused = decision.toStore
      .filter((r) => refusedIdx.includes(r.index))
      .map((entry) => ({ entry, reason, resetsAt: PERIOD_END }));
    const { outcome, refusedWhole } = settleReport({
      ctx,
      decision,
      earlier: [],
      storedOverCap: new Set(),
      written: { inserted: 2, dropped: [], refused },
      ownQuota: null,
    });
    expect(outcome).toMatchObject({ accepted, duplicate: 0, rejected: refusedIdx.length });
    expect(outcome.rejectedEvents.map((r) => [r.index, r.reason])).toEqual(
      refusedIdx.map((i: number) => [i, reason]),
    );
    expect(outcome.rejectedEvents.every((r) => r.message.endsWith('until 2026-04-01T00:00:00.000Z'))).toBe(
      true,
    );
    if (whole === null) expect(refusedWhole).toBeNull();
    else
      expect(refusedWhole).toEqual({
        reason: whole,
        resetsAt: PERIOD_END,
        retryAfterSeconds: (PERIOD_END.getTime() - NOW.getTime()) / 1000,
      });
  });

  it('refuses a later copy of a refused event for the same reason, never calling it a duplicate', () => {
    const decision = decideReport(ctx, [event(), event({ index: 1 })], mint);
    const [first] = decision.toStore;
    const { outcome } = settleReport({
      ctx,
      decision,
      earlier: [],
      storedOverCap: new Set(),
      written: {
        inserted: 1,
        dropped: [],
        refused: [{ entry: first!, reason: 'spend_cap_reached', resetsAt: PERIOD_END }],
      },
      ownQuota: null,
    });
    expect(outcome).toMatchObject({ accepted: 0, duplicate: 0, rejected: 2 });
    expect(outcome.rejectedEvents.map((r) => r.reason)).toEqual(['spend_cap_reached', 'spend_cap_reached']);
  });
});

describe('whose usage each event of a report is', () => {
  it('the gateway: each customer once, in order, with a BYOK event among theirs noted', () => {
    const plan = planReport(
      gateway,
      [
        event({ customerEmail: 'a@example.com' }),
        event({ userId: 'kc-b' }),
        event({ customerEmail: 'a@example.com', byok: true }),
        event(),
      ],
      NOW,
    );
    expect(plan).toMatchObject({ reporter: 'gateway', today: '2026-03-10', resetsAt: RESETS_AT });
    expect(plan.eventTargets).toEqual([
      'email:a@example.com|user:',
      'email:|user:kc-b',
      'email:a@example.com|user:',
      'none',
    ]);
    expect([...plan.targets].map(([key, n]) => [key, n.whose, n.byok])).toEqual([
      ['email:a@example.com|user:', 'customer', true],
      ['email:|user:kc-b', 'customer', false],
      ['none', 'unnamed', false],
    ]);
  });

  it('a person: naming themself or no one is their own usage, naming another is not theirs', () => {
    const plan = planReport(
      person,
      [event(), event({ customerEmail: 'ann@example.com' }), event({ userId: 'kc-bob' })],
      NOW,
    );
    expect(plan.reporter).toBe('self');
    expect(plan.eventTargets).toEqual(['self', 'self', 'email:|user:kc-bob']);
    expect([...plan.targets].map(([key, n]) => [key, n.whose])).toEqual([
      ['self', 'self'],
      ['email:|user:kc-bob', 'not_yours'],
    ]);
  });
});
