/**
 * Budgets inside one account: a customer names the subjects their usage is for (a project, an API key, an
 * end user: one generic `subject` on usage events and access checks) and gives a subject a cap on units a
 * UTC day or a billing period, with an alert at a share of it. The account's own limits still hold; a
 * budget only refuses more.
 */

/** A subject as events carry it: letters, digits and `._:@+-`, so it is one segment of a URL path and safe in a log. */
export const SUBJECT_PATTERN = /^[A-Za-z0-9._:@+-]{1,100}$/;

/** The most a budget may allow, in units: the largest quantity a period of reports could sensibly carry. */
export const MAX_BUDGET_UNITS = 1_000_000_000;

/** The most budgets one customer may keep: each is read on every report that names its customer. */
export const MAX_BUDGETS_PER_CUSTOMER = 200;

export type BudgetWindow = 'day' | 'period';
export const BUDGET_WINDOWS: readonly BudgetWindow[] = ['day', 'period'];

export interface SubjectBudget {
  subject: string;
  /** The window the limit is per: a UTC day or the billing period. */
  per: BudgetWindow;
  /** Units the subject may use in a window. */
  limitUnits: number;
  /** Percent of the limit at which the customer is told once a window; null for no alert. */
  alertPercent: number | null;
}

export interface BudgetRefusal {
  code: 'validation_failed' | 'too_many_budgets';
  message: string;
  field: 'subject' | 'per' | 'limitUnits' | 'alertPercent';
}

/** Why this budget may not be set, or null. `held` is how many budgets the customer has besides it. */
export function budgetRefusal(budget: SubjectBudget, held: number): BudgetRefusal | null {
  if (!SUBJECT_PATTERN.test(budget.subject))
    return {
      code: 'validation_failed',
      message: 'A subject is 1 to 100 letters, digits or ._:@+- characters',
      field: 'subject',
    };
  if (!BUDGET_WINDOWS.includes(budget.per))
    return { code: 'validation_failed', message: 'A budget is per day or per period', field: 'per' };
  if (
    !Number.isSafeInteger(budget.limitUnits) ||
    budget.limitUnits < 1 ||
    budget.limitUnits > MAX_BUDGET_UNITS
  )
    return {
      code: 'validation_failed',
      message: `The limit is a whole number of units from 1 to ${MAX_BUDGET_UNITS}`,
      field: 'limitUnits',
    };
  const p = budget.alertPercent;
  if (p !== null && (!Number.isSafeInteger(p) || p < 1 || p > 100))
    return {
      code: 'validation_failed',
      message: 'The alert is a whole percent from 1 to 100',
      field: 'alertPercent',
    };
  if (held >= MAX_BUDGETS_PER_CUSTOMER)
    return {
      code: 'too_many_budgets',
      message: `A customer keeps at most ${MAX_BUDGETS_PER_CUSTOMER} budgets`,
      field: 'subject',
    };
  return null;
}

/**
 * The counters a subject's usage is kept in: one per UTC day and one per billing period, each keyed by its
 * window (`d:2026-11-27`, `p:<period start ISO>`). Every event that names a subject adds to both, budget or
 * not, so a budget set mid-period counts what was already used.
 */
export function subjectWindowKeys(
  occurredAt: Date,
  periodStart: Date | null,
): { day: string; period: string | null } {
  return {
    day: `d:${occurredAt.toISOString().slice(0, 10)}`,
    period: periodStart ? `p:${periodStart.toISOString()}` : null,
  };
}

/**
 * The counter of what a subject's seat paid in the period that began at `periodStart` (domain/credit-usage.ts
 * SeatPool). It sorts with the period's own key, so retention prunes it with the period.
 */
export const seatWindowKey = (periodStart: Date): string => `p:${periodStart.toISOString()}#seat`;

/** When a budget's window ends and its units come back: the next UTC midnight, or the period's end. */
export function budgetResetsAt(window: BudgetWindow, at: Date, periodEnd: Date | null): Date {
  const nextMidnight = new Date(Date.UTC(at.getUTCFullYear(), at.getUTCMonth(), at.getUTCDate() + 1));
  if (window === 'day') return nextMidnight;
  return periodEnd ?? new Date(Date.UTC(at.getUTCFullYear(), at.getUTCMonth() + 1, 1));
}

/**
 * Which of a window's new events a budget takes back out: with `used` units before them and the events in
 * request order, the newest go first while the total is over the limit (as the account's daily cap does).
 * Answers the indexes (into `quantities`) taken out and the total kept.
 */
export function trimToBudget(
  used: number,
  limit: number,
  quantities: readonly number[],
): { out: number[]; total: number } {
  let total = used + quantities.reduce((s, q) => s + q, 0);
  const out: number[] = [];
  for (let i = quantities.length - 1; i >= 0 && total > limit; i--) {
    out.push(i);
    total -= quantities[i] as number;
  }
  return { out: out.reverse(), total };
}

/** Whether a subject at `used` units has reached its budget's alert (false for a budget without one). */
export function budgetAlertReached(
  budget: Pick<SubjectBudget, 'limitUnits' | 'alertPercent'>,
  used: number,
): boolean {
  if (budget.alertPercent === null) return false;
  // Whole units: 100 × used ≥ percent × limit, with no fraction to round.
  return used * 100 >= budget.alertPercent * budget.limitUnits;
}

/** What a subject has left in its window (never below zero). */
export const budgetLeft = (limit: number, used: number): number => Math.max(0, limit - used);

/** Where a subject stands against its budget in the window that holds `at`. */
export interface BudgetStanding {
  used: number;
  remaining: number;
  /** Whether its next unit is refused. */
  reached: boolean;
  alertReached: boolean;
  resetsAt: Date;
}

export function budgetStanding(
  budget: SubjectBudget,
  used: number,
  at: Date,
  periodEnd: Date | null,
): BudgetStanding {
  return {
    used,
    remaining: budgetLeft(budget.limitUnits, used),
    reached: used >= budget.limitUnits,
    alertReached: budgetAlertReached(budget, used),
    resetsAt: budgetResetsAt(budget.per, at, periodEnd),
  };
}
