import fc from 'fast-check';
import {
  drawnCents,
  MAX_COMMIT_CENTS,
  MAX_COMMIT_PERIODS,
  MIN_COMMIT_CENTS,
  prepaidCommitProblem,
  prepaidCommitTotals,
  expiryStillDue,
  settleCommit,
  type BalanceMove,
} from '../../domain/prepaid-commits';

const applied = (amountCents: number): BalanceMove => ({ amountCents, type: 'applied_to_invoice' });
const unapplied = (amountCents: number): BalanceMove => ({
  amountCents: -amountCents,
  type: 'unapplied_from_invoice',
});
const creditNote = (amountCents: number): BalanceMove => ({ amountCents: -amountCents, type: 'credit_note' });

describe('prepaid commits', () => {
  it.each<[string, { amountCents: number; periods: number; unused: string }, string | null]>([
    [
      'a commit of $1,200.00 for twelve periods, expiring',
      { amountCents: 120_000, periods: 12, unused: 'expire' },
      null,
    ],
    [
      'the largest, rolling over',
      { amountCents: MAX_COMMIT_CENTS, periods: MAX_COMMIT_PERIODS, unused: 'roll_over' },
      null,
    ],
    ['nothing', { amountCents: 0, periods: 1, unused: 'expire' }, 'amountCents'],
    [
      'less than Stripe charges',
      { amountCents: MIN_COMMIT_CENTS - 1, periods: 1, unused: 'expire' },
      'amountCents',
    ],
    ['the least Stripe charges', { amountCents: MIN_COMMIT_CENTS, periods: 1, unused: 'expire' }, null],
    ['a fraction of a cent', { amountCents: 10.5, periods: 1, unused: 'expire' }, 'amountCents'],
    [
      'more than the largest',
      { amountCents: MAX_COMMIT_CENTS + 1, periods: 1, unused: 'expire' },
      'amountCents',
    ],
    ['no period', { amountCents: 100, periods: 0, unused: 'expire' }, 'periods'],
    [
      'more periods than three years',
      { amountCents: 100, periods: MAX_COMMIT_PERIODS + 1, unused: 'expire' },
      'periods',
    ],
    ['an unknown way to end', { amountCents: 100, periods: 1, unused: 'refund' }, 'unused'],
  ])('%s: field at fault %p', (_, ask, field) => {
    expect(prepaidCommitProblem(ask)?.field ?? null).toBe(field);
  });

  it.each<[string, BalanceMove[], number]>([
    ['nothing drawn', [], 0],
    ['two invoices paid from it', [applied(2000), applied(500)], 2500],
    ['a voided invoice gives back what it drew', [applied(2000), unapplied(2000), applied(300)], 300],
    ['never more than the commit', [applied(6000), applied(6000)], 10_000],
    ['a credit note is not a draw', [creditNote(400), applied(100)], 100],
  ])('drawn: %s', (_, moves, drawn) => {
    expect(drawnCents(10_000, moves)).toBe(drawn);
  });

  it.each<[string, BalanceMove[], number, 'expire' | 'roll_over', [number, number, number]]>([
    ['half used, the rest expires', [applied(5000)], -5000, 'expire', [5000, 5000, 0]],
    ['half used, the rest rolls over', [applied(5000)], -5000, 'roll_over', [5000, 0, 5000]],
    ['all used: nothing left', [applied(10_000)], 0, 'expire', [10_000, 0, 0]],
    // The commit is drawn first: a credit note's credit stays the customer's.
    ['a credit note on top stays', [creditNote(700), applied(2000)], -8700, 'expire', [2000, 8000, 0]],
    // Credit that is no longer on the balance (refunded, moved) cannot be expired.
    ['less on the balance than left of the commit', [applied(1000)], -3000, 'expire', [1000, 3000, 0]],
  ])('settled: %s', (_, moves, balance, unused, [drawn, expired, rolled]) => {
    expect(settleCommit(10_000, moves, balance, unused)).toMatchObject({
      drawnCents: drawn,
      expiredCents: expired,
      rolledOverCents: rolled,
    });
  });

  /**
   * A model of Stripe's balance: the commit is credited, then invoices draw on it as Stripe does (each
   * finalized invoice takes what it can), some are voided (what they drew goes back), and credit notes add
   * credit of the customer's own. The settlement must expire exactly what is left of the commit, never
   * touch the customer's other credit, never debit the customer, and decide the same when retried after
   * its expiry was made.
   */
  it('expires what is left of the commit and nothing else, the same when retried (model)', () => {
    const step = fc.oneof(
      fc.record({ kind: fc.constant('invoice' as const), cents: fc.integer({ min: 0, max: 8000 }) }),
      fc.record({ kind: fc.constant('void' as const), cents: fc.constant(0) }),
      fc.record({ kind: fc.constant('credit_note' as const), cents: fc.integer({ min: 1, max: 3000 }) }),
    );
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 20_000 }),
        fc.array(step, { maxLength: 12 }),
        fc.constantFrom('expire' as const, 'roll_over' as const),
        (amount, steps, unused) => {
          let balance = -amount;
          let commitLeft = amount;
          const draws: number[] = [];
          const moves: BalanceMove[] = [];
          for (const s of steps) {
            if (s.kind === 'invoice') {
              const take = Math.min(-balance, s.cents);
              balance += take;
              draws.push(take);
              if (take > 0) moves.push(applied(take));
            } else if (s.kind === 'void') {
              const back = draws.pop() ?? 0;
              balance -= back;
              if (back > 0) moves.push(unapplied(back));
            } else {
              balance -= s.cents;
              moves.push(creditNote(s.cents));
            }
          }
          const drawnTotal = draws.reduce((a, b) => a + b, 0);
          commitLeft = amount - Math.min(amount, drawnTotal);
          const s = settleCommit(amount, moves, balance, unused);
          expect(s.drawnCents + s.remainingCents).toBe(amount);
          expect(s.remainingCents).toBe(commitLeft);
          expect(s.expiredCents + s.rolledOverCents).toBe(s.remainingCents);
          // Never a debit: what expires is credit the balance holds.
          expect(balance + s.expiredCents).toBeLessThanOrEqual(0);
          // The customer's own credit (credit notes) is all still there.
          const own = moves.reduce((sum, m) => sum + (m.type === 'credit_note' ? -m.amountCents : 0), 0);
          expect(-(balance + s.expiredCents)).toBeGreaterThanOrEqual(
            Math.max(0, own - Math.max(0, drawnTotal - amount)),
          );
          // A retry after the expiry was made decides the same, and takes nothing more off the balance.
          expect(expiryStillDue(s, moves)).toBe(s.expiredCents);
          const after = [{ amountCents: s.expiredCents, type: 'commit_expiry' }, ...moves];
          if (s.expiredCents > 0) {
            const again = settleCommit(amount, after, balance + s.expiredCents, unused);
            expect(again).toEqual(s);
            expect(expiryStillDue(again, after)).toBe(0);
          }
        },
      ),
    );
  });

  it('totals committed against drawn, expired and rolled over', () => {
    expect(
      prepaidCommitTotals([
        { amountCents: 10_000, drawnCents: 6000, expiredCents: 4000, rolledOverCents: 0 },
        { amountCents: 5000, drawnCents: 5000, expiredCents: 0, rolledOverCents: 0 },
        { amountCents: 3000, drawnCents: 1000, expiredCents: 0, rolledOverCents: 2000 },
      ]),
    ).toEqual({
      commits: 3,
      amountCents: 18_000,
      drawnCents: 12_000,
      expiredCents: 4000,
      rolledOverCents: 2000,
    });
  });
});
