import fc from 'fast-check';
import {
  drawUsage,
  nextUnitRefusal,
  seatDraw,
  seatPaid,
  seatPoolTerms,
  type SeatPool,
} from '../../domain/credit-usage';
import { usageAccount } from './usage-account';

const AT = new Date('2026-03-10T10:00:00.000Z');
const pool = (perSeat: number, seats: number, drawn: [string, number][] = []): SeatPool => ({
  perSeat,
  seats,
  drawn: new Map(drawn),
});
const account = usageAccount;

describe("what a subject's seat pays of an event", () => {
  it.each`
    case                                                     | seats                                     | subject  | units | paid
    ${'a free seat is taken by the first subject to use it'} | ${pool(100, 2)}                           | ${'ann'} | ${30} | ${30}
    ${'a seat pays at most what it has left'}                | ${pool(100, 2, [['ann', 90]])}            | ${'ann'} | ${30} | ${10}
    ${'a spent seat pays nothing'}                           | ${pool(100, 2, [['ann', 100]])}           | ${'ann'} | ${30} | ${0}
    ${'with every seat held, a newcomer gets none'}          | ${pool(100, 2, [['ann', 1], ['bob', 1]])} | ${'cy'}  | ${30} | ${0}
    ${'a holder keeps its seat when the count was lowered'}  | ${pool(100, 1, [['ann', 1], ['bob', 1]])} | ${'bob'} | ${30} | ${30}
    ${'usage without a subject takes no seat'}               | ${pool(100, 2)}                           | ${null}  | ${30} | ${0}
    ${'an event of no units takes no seat'}                  | ${pool(100, 2)}                           | ${'ann'} | ${0}  | ${0}
  `('$case', ({ seats, subject, units, paid }) => {
    expect(seatDraw(seats, subject, units)).toBe(paid);
  });

  it("a year's seat carries twelve months of credits; no credits or no seats is no pool", () => {
    expect(seatPoolTerms(100, 'year', 3)).toEqual({ perSeat: 1200, seats: 3 });
    expect(seatPoolTerms(100, 'month', 3)).toEqual({ perSeat: 100, seats: 3 });
    expect(seatPoolTerms(0, 'month', 3)).toBeNull();
    expect(seatPoolTerms(100, 'month', 0)).toBeNull();
  });

  it("draws the seat before the account's included credits, and records the holder", () => {
    const outcome = drawUsage(account({ includedLeft: 50, seatPool: pool(20, 1) }), 30, AT, 'ann');
    expect(outcome.ok && outcome.draw).toMatchObject({ fromSeat: 20, fromIncluded: 10, overage: 0 });
    expect(outcome.ok && [...(outcome.after.seatPool?.drawn ?? [])]).toEqual([['ann', 20]]);
    expect(outcome.ok && outcome.after.includedLeft).toBe(40);
  });

  it('check-access refuses a prepaid-only account only for subjects whose seat cannot pay', () => {
    const spent = account({ prepaidOnly: true, overagePer1kCents: 0, seatPool: pool(10, 2, [['ann', 10]]) });
    expect(nextUnitRefusal(spent, AT, 'ann')).toBe('credits_exhausted');
    expect(nextUnitRefusal(spent, AT, 'bob')).toBeNull();
    expect(nextUnitRefusal(spent, AT)).toBe('credits_exhausted');
  });
});

/**
 * The model: seats go to the first distinct subjects whose events have units, one each; a holder's seat
 * pays the first `perSeat` of its units, in order; everything else is the account's.
 */
function model(events: { subject: string | null; units: number }[], perSeat: number, seats: number) {
  const holders: string[] = [];
  const used = new Map<string, number>();
  let account = 0;
  for (const e of events) {
    if (e.subject !== null && e.units > 0 && !holders.includes(e.subject) && holders.length < seats)
      holders.push(e.subject);
    const before = e.subject !== null && holders.includes(e.subject) ? (used.get(e.subject) ?? 0) : perSeat;
    const fromSeat = Math.min(e.units, Math.max(0, perSeat - before));
    if (e.subject !== null && holders.includes(e.subject)) used.set(e.subject, before + e.units);
    account += e.units - fromSeat;
  }
  return {
    holders: holders.sort(),
    seatPaid: holders.reduce((sum, h) => sum + Math.min(perSeat, used.get(h) ?? 0), 0),
    account,
  };
}

describe('seat credits against a model', () => {
  const subject = fc.option(fc.constantFrom('a', 'b', 'c', 'd', 'e'), { nil: null });
  const events = fc.array(fc.record({ subject, units: fc.integer({ min: 0, max: 60 }) }), { maxLength: 40 });

  it('pays what the model says, one event after another, whatever the order and sizes', () => {
    fc.assert(
      fc.property(
        events,
        fc.integer({ min: 1, max: 100 }),
        fc.integer({ min: 1, max: 4 }),
        fc.integer({ min: 0, max: 500 }),
        (list, perSeat, seats, included) => {
          let acct = account({ includedLeft: included, seatPool: pool(perSeat, seats) });
          let fromAccount = 0;
          for (const e of list) {
            const outcome = drawUsage(acct, e.units, AT, e.subject);
            if (!outcome.ok) throw new Error('an account billing overage refuses nothing');
            fromAccount += e.units - outcome.draw.fromSeat;
            expect(outcome.draw.fromSeat + outcome.draw.fromIncluded + outcome.draw.overage).toBe(e.units);
            acct = outcome.after;
          }
          const m = model(list, perSeat, seats);
          expect([...(acct.seatPool?.drawn.keys() ?? [])].sort()).toEqual(m.holders);
          expect(seatPaid(acct.seatPool)).toBe(m.seatPaid);
          expect(fromAccount).toBe(m.account);
          // Included credits are drawn only by what the seats did not pay.
          expect(acct.includedLeft).toBe(Math.max(0, included - m.account));
          for (const used of acct.seatPool?.drawn.values() ?? []) expect(used).toBeLessThanOrEqual(perSeat);
        },
      ),
    );
  });
});
