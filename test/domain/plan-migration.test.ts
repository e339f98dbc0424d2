import fc from 'fast-check';
import { batchPauseMs, migrationProgress, rehearsalSummary, rehearseMove } from '../../domain/plan-migration';

describe('a plan migration’s pace', () => {
  it.each`
    size  | perSecond | elapsedMs | pause
    ${20} | ${10}     | ${0}      | ${2000}
    ${20} | ${10}     | ${500}    | ${1500}
    ${20} | ${10}     | ${2000}   | ${0}
    ${20} | ${10}     | ${9000}   | ${0}
    ${3}  | ${10}     | ${100}    | ${200}
    ${1}  | ${3}      | ${0}      | ${334}
    ${0}  | ${10}     | ${0}      | ${0}
    ${20} | ${0}      | ${0}      | ${0}
  `(
    'waits $pause ms after $size moves that took $elapsedMs ms at $perSecond a second',
    ({ size, perSecond, elapsedMs, pause }) => {
      expect(batchPauseMs(size, perSecond, elapsedMs)).toBe(pause);
    },
  );

  it('never lets a run of batches go faster than the pace', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: 1, max: 50 }), fc.integer({ min: 0, max: 10_000 })), {
          minLength: 1,
          maxLength: 30,
        }),
        fc.integer({ min: 1, max: 100 }),
        (batches, perSecond) => {
          let ms = 0;
          let moves = 0;
          for (const [size, took] of batches) {
            ms += took + batchPauseMs(size, perSecond, took);
            moves += size;
          }
          expect(moves * 1000).toBeLessThanOrEqual(ms * perSecond);
        },
      ),
    );
  });
});

describe('a plan migration’s progress', () => {
  it.each`
    candidates | moved  | failed | percent
    ${0}       | ${0}   | ${0}   | ${100}
    ${3}       | ${0}   | ${0}   | ${0}
    ${3}       | ${1}   | ${0}   | ${33}
    ${3}       | ${2}   | ${1}   | ${100}
    ${1000}    | ${998} | ${1}   | ${99}
    ${2}       | ${2}   | ${1}   | ${100}
  `(
    'reads $percent % with $moved moved and $failed failed of $candidates',
    ({ candidates, moved, failed, percent }) => {
      expect(migrationProgress(candidates, moved, failed)).toEqual({ candidates, moved, failed, percent });
    },
  );
});

describe('a rehearsed move', () => {
  const facts = {
    subscriptionId: 'subs_a',
    fromVersion: 1,
    when: 'now' as const,
    currency: 'usd',
    interval: 'month' as const,
    amountCents: 1500,
    newAmountCents: 2000,
    refusal: null,
    periodEnd: '2026-12-28T00:00:00.000Z',
    proration: { creditCents: -1400, chargeCents: 1867, discountCents: 0, dueNowCents: 467 },
    includedCredits: { before: 100, after: 300 },
    entitlementChanges: [{ feature: 'ops-center', change: 'gained' }],
    creditsCarriedOver: 250,
    stripeCall: { path: '/v1/subscriptions/sub_1', params: { proration_behavior: 'always_invoice' } },
    usage: null,
  };

  it('gives the monthly margin before and after: the fee, the usage under each card, less its cost', () => {
    const usage = { costCents: 700, beforeCents: 300, afterCents: 500 };
    // 1,500 + 300 − 700 before; 2,000 + 500 − 700 after.
    expect(rehearseMove({ ...facts, usage }).detail.margin).toEqual({
      costCents: 700,
      beforeCents: 1100,
      afterCents: 1800,
    });
    // Refused: nothing changes, the margin neither.
    expect(rehearseMove({ ...facts, usage, refusal: 'no' }).detail.margin).toEqual({
      costCents: 700,
      beforeCents: 1100,
      afterCents: 1100,
    });
    expect(rehearseMove(facts).detail.margin).toBeNull();
    const s = rehearsalSummary([
      rehearseMove({ ...facts, usage, subscriptionId: 'a' }),
      rehearseMove({ ...facts, usage, subscriptionId: 'b', when: 'period_end' }),
      rehearseMove({ ...facts, subscriptionId: 'c', currency: 'eur' }),
    ]);
    expect(s.margin).toEqual([{ currency: 'usd', costCents: 1400, beforeCents: 2200, afterCents: 3600 }]);
  });

  it.each`
    case                            | change                                                             | outcome     | result         | renewal  | mrrAfter | proration | calls
    ${'moved now'}                  | ${{}}                                                              | ${'moved'}  | ${'applied'}   | ${2000}  | ${2000}  | ${467}    | ${1}
    ${'moved at period end'}        | ${{ when: 'period_end' }}                                          | ${'moved'}  | ${'scheduled'} | ${2000}  | ${2000}  | ${null}   | ${1}
    ${'refused by the validator'}   | ${{ refusal: 'already on rehearsed (month)' }}                     | ${'failed'} | ${null}        | ${1500}  | ${1500}  | ${null}   | ${0}
    ${'with no price to move onto'} | ${{ newAmountCents: null }}                                        | ${'failed'} | ${null}        | ${1500}  | ${1500}  | ${null}   | ${0}
    ${'yearly, counted a twelfth'}  | ${{ interval: 'year', amountCents: 15000, newAmountCents: 20000 }} | ${'moved'}  | ${'applied'}   | ${20000} | ${1667}  | ${467}    | ${1}
  `('$case', ({ change, outcome, result, renewal, mrrAfter, proration, calls }) => {
    const m = rehearseMove({ ...facts, ...change });
    expect(m).toMatchObject({ outcome, result });
    expect(m.detail.nextInvoice.afterCents).toBe(renewal);
    expect(m.detail.mrr.afterCents).toBe(mrrAfter);
    expect(m.detail.proration?.dueNowCents ?? null).toBe(proration);
    expect(m.detail.stripeCalls).toHaveLength(calls);
    expect(m.detail.creditsCarriedOver).toBe(250);
    // A refused move changes neither credits nor entitlements.
    if (outcome === 'failed') {
      expect(m.reason).toEqual(expect.any(String));
      expect(m.detail.includedCredits).toEqual({ before: 100, after: 100 });
      expect(m.detail.entitlementChanges).toEqual([]);
    }
  });

  it('totals revenue per currency, who pays more, less or the same, and the ten largest changes', () => {
    const moves = [
      ...Array.from({ length: 12 }, (_, i) =>
        rehearseMove({
          ...facts,
          subscriptionId: `subs_${String(i).padStart(2, '0')}`,
          newAmountCents: 1500 + i * 100,
        }),
      ),
      rehearseMove({ ...facts, subscriptionId: 'subs_eur', currency: 'eur', newAmountCents: 1000 }),
      rehearseMove({ ...facts, subscriptionId: 'subs_no', refusal: 'no' }),
    ];
    const s = rehearsalSummary(moves);
    expect(s.mrr).toEqual([
      { currency: 'eur', beforeCents: 1500, afterCents: 1000 },
      { currency: 'usd', beforeCents: 13 * 1500, afterCents: 12 * 1500 + 6600 + 1500 },
    ]);
    expect(s).toMatchObject({ payMore: 11, payLess: 1, paySame: 1, failed: 1 });
    expect(s.dueNow).toEqual([
      { currency: 'eur', cents: 467 },
      { currency: 'usd', cents: 12 * 467 },
    ]);
    expect(s.largest.map((l) => l.subscriptionId)).toEqual([
      'subs_11',
      'subs_10',
      'subs_09',
      'subs_08',
      'subs_07',
      'subs_06',
      'subs_05',
      'subs_eur',
      'subs_04',
      'subs_03',
    ]);
  });

  it('keeps the totals equal to the sum of the moves, whatever the moves', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            amountCents: fc.integer({ min: 0, max: 10_000_000 }),
            newAmountCents: fc.option(fc.integer({ min: 0, max: 10_000_000 })),
            refused: fc.boolean(),
            interval: fc.constantFrom('month' as const, 'year' as const),
            currency: fc.constantFrom('usd', 'eur'),
          }),
          { maxLength: 40 },
        ),
        (rows) => {
          const moves = rows.map((r, i) =>
            rehearseMove({
              ...facts,
              subscriptionId: `subs_${i}`,
              amountCents: r.amountCents,
              newAmountCents: r.newAmountCents,
              refusal: r.refused ? 'no' : null,
              interval: r.interval,
              currency: r.currency,
            }),
          );
          const s = rehearsalSummary(moves);
          expect(s.payMore + s.payLess + s.paySame + s.failed).toBe(moves.length);
          for (const { currency, beforeCents, afterCents } of s.mrr) {
            const mine = moves.filter((m) => m.detail.currency === currency);
            expect(beforeCents).toBe(mine.reduce((a, m) => a + m.detail.mrr.beforeCents, 0));
            expect(afterCents).toBe(mine.reduce((a, m) => a + m.detail.mrr.afterCents, 0));
          }
          // A refused move's revenue stays what it was.
          for (const m of moves.filter((x) => x.outcome === 'failed'))
            expect(m.detail.mrr.afterCents).toBe(m.detail.mrr.beforeCents);
        },
      ),
    );
  });
});
