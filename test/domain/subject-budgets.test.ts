import {
  budgetAlertReached,
  budgetRefusal,
  budgetResetsAt,
  budgetStanding,
  MAX_BUDGET_UNITS,
  MAX_BUDGETS_PER_CUSTOMER,
  subjectWindowKeys,
  trimToBudget,
  type SubjectBudget,
} from '../../domain/subject-budgets';

const ok: SubjectBudget = { subject: 'project-a', per: 'day', limitUnits: 100, alertPercent: 80 };

describe('which budgets may be set', () => {
  it.each<[string, Partial<SubjectBudget>, number, string | null]>([
    ['a valid day budget', {}, 0, null],
    ['a period budget without alert', { per: 'period', alertPercent: null }, 0, null],
    ['an email-like subject', { subject: 'user:ann+1@example.com' }, 0, null],
    ['the largest limit', { limitUnits: MAX_BUDGET_UNITS }, 0, null],
    ['a subject with a space', { subject: 'a b' }, 0, 'subject'],
    ['a subject with a slash', { subject: 'a/b' }, 0, 'subject'],
    ['an empty subject', { subject: '' }, 0, 'subject'],
    ['a subject of 101 characters', { subject: 'x'.repeat(101) }, 0, 'subject'],
    ['a subject with a line break', { subject: 'a\nb' }, 0, 'subject'],
    ['a week window', { per: 'week' as never }, 0, 'per'],
    ['a zero limit', { limitUnits: 0 }, 0, 'limitUnits'],
    ['a fractional limit', { limitUnits: 2.5 }, 0, 'limitUnits'],
    ['a limit past the maximum', { limitUnits: MAX_BUDGET_UNITS + 1 }, 0, 'limitUnits'],
    ['an alert of 0 %', { alertPercent: 0 }, 0, 'alertPercent'],
    ['an alert over 100 %', { alertPercent: 101 }, 0, 'alertPercent'],
    ['one budget more than allowed', {}, MAX_BUDGETS_PER_CUSTOMER, 'subject'],
  ])('%s', (_, change, held, field) => {
    expect(budgetRefusal({ ...ok, ...change }, held)?.field ?? null).toBe(field);
  });

  it('calls one budget too many a conflict, not bad input', () => {
    expect(budgetRefusal(ok, MAX_BUDGETS_PER_CUSTOMER)?.code).toBe('too_many_budgets');
  });
});

describe('holding new events to a budget', () => {
  it.each<[string, number, number, number[], number[], number]>([
    ['all fit', 0, 10, [3, 3, 4], [], 10],
    ['the newest goes while over', 0, 10, [4, 4, 4], [2], 8],
    ['newest first even when an older one alone would free more', 0, 10, [8, 5, 1], [1, 2], 8],
    ['already full: every one goes', 10, 10, [1, 1], [0, 1], 10],
    ['already past (a budget lowered): every one goes', 15, 10, [1], [0], 15],
    ['nothing new', 7, 10, [], [], 7],
  ])('%s', (_, used, limit, quantities, out, total) => {
    expect(trimToBudget(used, limit, quantities)).toEqual({ out, total });
  });
});

describe('windows and standing', () => {
  const at = new Date('2026-11-27T15:30:00.000Z');
  const periodStart = new Date('2026-11-10T08:00:00.000Z');
  const periodEnd = new Date('2026-12-10T08:00:00.000Z');

  it('keys a subject by UTC day and by the billing period it is in', () => {
    expect(subjectWindowKeys(at, periodStart)).toEqual({
      day: 'd:2026-11-27',
      period: 'p:2026-11-10T08:00:00.000Z',
    });
    expect(subjectWindowKeys(at, null).period).toBeNull();
  });

  it('resets a day budget at the next UTC midnight and a period budget at the period end', () => {
    expect(budgetResetsAt('day', at, periodEnd).toISOString()).toBe('2026-11-28T00:00:00.000Z');
    expect(budgetResetsAt('period', at, periodEnd)).toBe(periodEnd);
    expect(budgetResetsAt('period', at, null).toISOString()).toBe('2026-12-01T00:00:00.000Z');
  });

  it.each<[number, number | null, number, boolean]>([
    [100, 80, 79, false],
    [100, 80, 80, true],
    [3, 50, 1, false],
    [3, 50, 2, true],
    [100, null, 100, false],
  ])('limit %i, alert at %s %%, %i used: alert reached %s', (limitUnits, alertPercent, used, reached) => {
    expect(budgetAlertReached({ limitUnits, alertPercent }, used)).toBe(reached);
  });

  it('stands at what is left, never below zero, reached at the limit', () => {
    expect(budgetStanding(ok, 100, at, periodEnd)).toMatchObject({
      remaining: 0,
      reached: true,
      alertReached: true,
    });
    expect(budgetStanding(ok, 120, at, periodEnd).remaining).toBe(0);
    expect(budgetStanding(ok, 99, at, periodEnd)).toMatchObject({ remaining: 1, reached: false });
  });
});
