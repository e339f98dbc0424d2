import type { CreditGrant } from '../../domain/credit-ledger';
import {
  creditResetAt,
  drawUsage,
  nextUnitRefusal,
  overageCost,
  prepaidBalance,
  type UsageAccount,
} from '../../domain/credit-usage';

const AT = new Date('2026-03-10T10:00:00.000Z');
const grant = (id: string, amount: number, over: Partial<CreditGrant> = {}): CreditGrant => ({
  id,
  amount,
  source: 'purchase',
  priority: 0,
  effectiveAt: new Date('2026-03-01T00:00:00.000Z'),
  expiresAt: null,
  createdAt: new Date('2026-03-01T00:00:00.000Z'),
  ...over,
});
const account = (over: Partial<UsageAccount> = {}): UsageAccount => ({
  includedLeft: 0,
  grants: [],
  movements: [],
  overageUnits: 0,
  overagePer1kCents: 200,
  cap: null,
  prepaidOnly: false,
  ...over,
});

describe('paying for one event of usage', () => {
  it.each`
    case                                                 | acct                                                                                          | units | fromIncluded | prepaid | overage | refusal
    ${'included credits pay first'}                      | ${account({ includedLeft: 10, grants: [grant('g', 50)] })}                                    | ${8}  | ${8}         | ${0}    | ${0}    | ${null}
    ${'the rest of included, then a grant'}              | ${account({ includedLeft: 3, grants: [grant('g', 50)] })}                                     | ${8}  | ${3}         | ${5}    | ${0}    | ${null}
    ${'included, grant, then overage'}                   | ${account({ includedLeft: 3, grants: [grant('g', 2)] })}                                      | ${8}  | ${3}         | ${2}    | ${3}    | ${null}
    ${'a prepaid-only plan refuses what credits miss'}   | ${account({ includedLeft: 3, grants: [grant('g', 2)], prepaidOnly: true })}                   | ${8}  | ${0}         | ${0}    | ${0}    | ${'credits_exhausted'}
    ${'a prepaid-only plan takes what credits cover'}    | ${account({ includedLeft: 3, grants: [grant('g', 5)], prepaidOnly: true })}                   | ${8}  | ${3}         | ${5}    | ${0}    | ${null}
    ${'a blocking cap takes overage up to the cap'}      | ${account({ cap: { cents: 2, mode: 'block' } })}                                              | ${10} | ${0}         | ${0}    | ${10}   | ${null}
    ${'a blocking cap refuses overage past it'}          | ${account({ overageUnits: 5, cap: { cents: 2, mode: 'block' } })}                             | ${10} | ${0}         | ${0}    | ${0}    | ${'spend_cap_reached'}
    ${'a blocking cap counts rounding as the bill does'} | ${account({ overageUnits: 7, cap: { cents: 2, mode: 'block' } })}                             | ${2}  | ${0}         | ${0}    | ${2}    | ${null}
    ${'one more unit rounds the bill past the cap'}      | ${account({ overageUnits: 7, cap: { cents: 2, mode: 'block' } })}                             | ${6}  | ${0}         | ${0}    | ${0}    | ${'spend_cap_reached'}
    ${'a notifying cap never refuses'}                   | ${account({ overageUnits: 5000, cap: { cents: 2, mode: 'notify' } })}                         | ${10} | ${0}         | ${0}    | ${10}   | ${null}
    ${'credits under a reached cap still pay'}           | ${account({ overageUnits: 5000, cap: { cents: 2, mode: 'block' }, grants: [grant('g', 9)] })} | ${9}  | ${0}         | ${9}    | ${0}    | ${null}
    ${'an expired grant pays nothing'}                   | ${account({ grants: [grant('g', 9, { expiresAt: AT })] })}                                    | ${4}  | ${0}         | ${0}    | ${4}    | ${null}
    ${'zero units cost nothing'}                         | ${account({ prepaidOnly: true })}                                                             | ${0}  | ${0}         | ${0}    | ${0}    | ${null}
  `('$case', ({ acct, units, fromIncluded, prepaid, overage, refusal }) => {
    const out = drawUsage(acct, units, AT);
    if (refusal) {
      expect(out).toEqual({ ok: false, reason: refusal });
      return;
    }
    if (!out.ok) throw new Error(`refused: ${out.reason}`);
    expect(out.draw).toMatchObject({ fromIncluded, prepaid, overage });
    expect(out.after.includedLeft).toBe(acct.includedLeft - fromIncluded);
    expect(out.after.overageUnits).toBe(acct.overageUnits + overage);
    expect(prepaidBalance(out.after, AT)).toBe(prepaidBalance(acct, AT) - prepaid);
  });

  it('draws grants in the ledger order: priority, then soonest expiry', () => {
    const acct = account({
      grants: [
        grant('late', 5, { expiresAt: new Date('2026-06-01T00:00:00Z') }),
        grant('soon', 5, { expiresAt: new Date('2026-04-01T00:00:00Z') }),
        grant('first', 2, { priority: -1 }),
      ],
    });
    const out = drawUsage(acct, 9, AT);
    if (!out.ok) throw new Error('refused');
    expect(out.draw.draws.map((d) => [d.grantId, d.amount])).toEqual([
      ['first', 2],
      ['soon', 5],
      ['late', 2],
    ]);
  });

  it('pays a report event by event: each sees the account the one before left', () => {
    let acct = account({ includedLeft: 4, grants: [grant('g', 4)], prepaidOnly: true });
    const outcomes = [3, 3, 3].map((units) => {
      const out = drawUsage(acct, units, AT);
      if (out.ok) acct = out.after;
      return out.ok ? 'kept' : out.reason;
    });
    expect(outcomes).toEqual(['kept', 'kept', 'credits_exhausted']);
    expect(prepaidBalance(acct, AT)).toBe(2);
  });

  it('refuses units that are not a non-negative integer', () => {
    for (const units of [-1, 1.5, Number.NaN, 2 ** 60])
      expect(() => drawUsage(account(), units, AT)).toThrow(RangeError);
  });
});

describe('what check-access says of the next unit', () => {
  it.each`
    case                                      | acct                                                               | refusal
    ${'included credits left'}                | ${account({ includedLeft: 1, prepaidOnly: true })}                 | ${null}
    ${'a prepaid-only customer at zero'}      | ${account({ prepaidOnly: true })}                                  | ${'credits_exhausted'}
    ${'a blocking cap already at its amount'} | ${account({ overageUnits: 12, cap: { cents: 2, mode: 'block' } })} | ${'spend_cap_reached'}
    ${'below a blocking cap'}                 | ${account({ overageUnits: 2, cap: { cents: 2, mode: 'block' } })}  | ${null}
  `('$case', ({ acct, refusal }) => {
    expect(nextUnitRefusal(acct, AT)).toBe(refusal);
  });
});

describe('the overage bill and the reset', () => {
  it.each`
    units  | per1k  | cents
    ${0}   | ${200} | ${0}
    ${85}  | ${200} | ${17}
    ${105} | ${20}  | ${2}
    ${1}   | ${200} | ${0}
    ${3}   | ${200} | ${1}
  `('$units units at $per1k¢ per thousand cost $cents¢', ({ units, per1k, cents }) => {
    expect(overageCost(units, per1k)).toBe(cents);
  });

  it('resets at the period end, or at the next UTC month when the end is unknown', () => {
    const end = new Date('2026-03-31T12:00:00Z');
    expect(creditResetAt({ periodEnd: end }, AT)).toEqual(end);
    expect(creditResetAt({ periodEnd: null }, AT)).toEqual(new Date('2026-04-01T00:00:00.000Z'));
  });
});
