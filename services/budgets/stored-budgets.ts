import type { EntityManager } from '@mikro-orm/core';
import { sqlFor } from '../../db/raw-sql';
import { budgetsOf, subjectUsageIn } from '../../db/subject-budgets';
import { budgetsMemo, type UsageCounters } from '../../db/usage-counters';
import {
  budgetStanding,
  subjectWindowKeys,
  type BudgetStanding,
  type SubjectBudget,
} from '../../domain/subject-budgets';

/**
 * A customer's budgets by subject, memoised like their access (a change by another process is seen within
 * the snapshot TTL; this process drops it when it changes them).
 */
export function storedBudgets(
  em: EntityManager,
  counters: UsageCounters,
  customerId: string,
): Promise<Map<string, SubjectBudget>> {
  return counters.snapshot(budgetsMemo(customerId), async () => {
    const list = await budgetsOf(sqlFor(em), customerId);
    return new Map(list.map((b) => [b.subject, b]));
  });
}

/**
 * Where one subject stands against its budget now, its usage read from the committed counters (not
 * memoised: the gateway asks before a call it may then make); null when the subject has no budget.
 */
export async function subjectStanding(
  em: EntityManager,
  counters: UsageCounters,
  customerId: string,
  subject: string,
  period: { start: Date | null; end: Date | null },
  now: Date,
): Promise<(BudgetStanding & { budget: SubjectBudget }) | null> {
  const budget = (await storedBudgets(em, counters, customerId)).get(subject);
  if (!budget) return null;
  const keys = subjectWindowKeys(now, period.start);
  const key = budget.per === 'day' ? keys.day : keys.period;
  const rows = key ? await subjectUsageIn(sqlFor(em), customerId, [subject], [key]) : [];
  return { budget, ...budgetStanding(budget, rows[0]?.units ?? 0, now, period.end) };
}
