import fc from 'fast-check';
import type { CreditGrant } from '../../domain/credit-ledger';
import {
  creditResetAt,
  drawUsage,
  nextUnitRefusal,
  overageCost,
  prepaidBalance,
} from '../../domain/credit-usage';
import { usageAccount } from './usage-account';

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
const account = usageAccount;

describe('paying for one event of usage', () => {
  it.each`
    case                                                            | acct                                                                                          | units | fromIncluded | prepaid | overage | refusal
    ${'included credits pay first'}                                 | ${account({ includedLeft: 10, grants: [grant('g', 50)] })}                                    | ${8}  | ${8}         | ${0}    | ${0}    | ${null}
    ${'the rest of included, then a grant'}                         | ${account({ includedLeft: 3, grants: [grant('g', 50)] })}                                     | ${8}  | ${3}         | ${5}    | ${0}    | ${null}
    ${'included, grant, then overage'}                              | ${account({ includedLeft: 3, grants: [grant('g', 2)] })}                                      | ${8}  | ${3}         | ${2}    | ${3}    | ${null}
    ${'a prepaid-only plan refuses what credits miss'}              | ${account({ includedLeft: 3, grants: [grant('g', 2)], prepaidOnly: true })}                   | ${8}  | ${0}         | ${0}    | ${0}    | ${'credits_exhausted'}
    ${'a prepaid-only plan takes what credits cover'}               | ${account({ includedLeft: 3, grants: [grant('g', 5)], prepaidOnly: true })}                   | ${8}  | ${3}         | ${5}    | ${0}    | ${null}
    ${'a blocking cap takes overage up to the cap'}                 | ${account({ cap: { cents: 2, mode: 'block' } })}                                              | ${10} | ${0}         | ${0}    | ${10}   | ${null}
    ${'a blocking cap refuses overage past it'}                     | ${account({ overageUnits: 5, cap: { cents: 2, mode: 'block' } })}                             | ${10} | ${0}         | ${0}    | ${0}    | ${'spend_cap_reached'}
    ${'a blocking cap takes overage whose exact cost is within it'} | ${account({ overageUnits: 7, cap: { cents: 2, mode: 'block' } })}                             | ${2}  | ${0}         | ${0}    | ${2}    | ${null}
    ${'one more unit takes the bill past the cap'}                  | ${account({ overageUnits: 7, cap: { cents: 2, mode: 'block' } })}                             | ${6}  | ${0}         | ${0}    | ${0}    | ${'spend_cap_reached'}
    ${'a blocking cap counts the unrounded cost: 2.4¢ passes 2¢'}   | ${account({ cap: { cents: 2, mode: 'block' } })}                                              | ${12} | ${0}         | ${0}    | ${0}    | ${'spend_cap_reached'}
    ${'a blocking cap of 0 refuses one unit costing 0.2¢'}          | ${account({ cap: { cents: 0, mode: 'block' } })}                                              | ${1}  | ${0}         | ${0}    | ${0}    | ${'spend_cap_reached'}
    ${'a blocking cap of 0 refuses two units costing 0.4¢'}         | ${account({ cap: { cents: 0, mode: 'block' } })}                                              | ${2}  | ${0}         | ${0}    | ${0}    | ${'spend_cap_reached'}
    ${'a blocking cap of 0 lets credits pay'}                       | ${account({ includedLeft: 3, grants: [grant('g', 2)], cap: { cents: 0, mode: 'block' } })}    | ${5}  | ${3}         | ${2}    | ${0}    | ${null}
    ${'a blocking cap of 0 on free overage refuses nothing'}        | ${account({ overagePer1kCents: 0, cap: { cents: 0, mode: 'block' } })}                        | ${9}  | ${0}         | ${0}    | ${9}    | ${null}
    ${'a notifying cap never refuses'}                              | ${account({ overageUnits: 5000, cap: { cents: 2, mode: 'notify' } })}                         | ${10} | ${0}         | ${0}    | ${10}   | ${null}
    ${'credits under a reached cap still pay'}                      | ${account({ overageUnits: 5000, cap: { cents: 2, mode: 'block' }, grants: [grant('g', 9)] })} | ${9}  | ${0}         | ${9}    | ${0}    | ${null}
    ${'an expired grant pays nothing'}                              | ${account({ grants: [grant('g', 9, { expiresAt: AT })] })}                                    | ${4}  | ${0}         | ${0}    | ${4}    | ${null}
    ${'zero units cost nothing'}                                    | ${account({ prepaidOnly: true })}                                                             | ${0}  | ${0}         | ${0}    | ${0}    | ${null}
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
    ${'a blocking cap exactly spent'}         | ${account({ overageUnits: 10, cap: { cents: 2, mode: 'block' } })} | ${'spend_cap_reached'}
    ${'a blocking cap of 0 with no overage'}  | ${account({ cap: { cents: 0, mode: 'block' } })}                   | ${'spend_cap_reached'}
    ${'a blocking cap of 0 and credits left'} | ${account({ includedLeft: 1, cap: { cents: 0, mode: 'block' } })}  | ${null}
  `('$case', ({ acct, refusal }) => {
    expect(nextUnitRefusal(acct, AT)).toBe(refusal);
  });
});

describe('a blocking cap against a model of its exact cost', () => {
  // The model: an event's overage is kept while the period's overage, priced exactly (unrounded), is
  // within the cap; so the billed (rounded) cost is within it too, and a cap of 0 keeps no overage.
  const exactCostFits = (units: number, per1k: number, capCents: number) => units * per1k <= capCents * 1000;

  it('keeps exactly what fits, never bills past the cap, and says reached as soon as no unit fits', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 5000 }),
        fc.integer({ min: 0, max: 500 }),
        fc.integer({ min: 0, max: 50 }),
        fc.array(fc.integer({ min: 0, max: 400 }), { maxLength: 30 }),
        (per1k, capCents, includedLeft, events) => {
          let acct = account({
            includedLeft,
            overagePer1kCents: per1k,
            cap: { cents: capCents, mode: 'block' },
          });
          let modelOverage = 0;
          let modelIncluded = includedLeft;
          for (const units of events) {
            const fromIncluded = Math.min(units, modelIncluded);
            const overage = units - fromIncluded;
            const keep = overage === 0 || exactCostFits(modelOverage + overage, per1k, capCents);
            const out = drawUsage(acct, units, AT);
            expect(out.ok).toBe(keep);
            if (out.ok) {
              acct = out.after;
              modelOverage += overage;
              modelIncluded -= fromIncluded;
            } else expect(out.reason).toBe('spend_cap_reached');
            expect(acct.overageUnits).toBe(modelOverage);
            expect(modelOverage * per1k).toBeLessThanOrEqual(capCents * 1000);
            expect(overageCost(modelOverage, per1k)).toBeLessThanOrEqual(capCents);
            const oneMoreFits = modelIncluded > 0 || exactCostFits(modelOverage + 1, per1k, capCents);
            expect(nextUnitRefusal(acct, AT)).toBe(oneMoreFits ? null : 'spend_cap_reached');
          }
        },
      ),
    );
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
