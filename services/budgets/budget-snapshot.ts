import type { EntityManager } from '@mikro-orm/core';
import { sqlFor } from '../../db/raw-sql';
import { subjectUsageIn } from '../../db/subject-budgets';
import type { UsageCounters } from '../../db/usage-counters';
import {
  budgetStanding,
  subjectWindowKeys,
  type BudgetStanding,
  type SubjectBudget,
} from '../../domain/subject-budgets';
import { storedBudgets } from './stored-budgets';

/**
 * Every budget of a customer with where its subject stands now, read in one statement: what the signed
 * entitlement snapshot carries so a gateway can refuse `budget_reached` itself.
 */
export async function budgetStandings(
  em: EntityManager,
  counters: UsageCounters,
  customerId: string,
  period: { start: Date | null; end: Date | null },
  now: Date,
): Promise<(BudgetStanding & { budget: SubjectBudget })[]> {
  const budgets = [...(await storedBudgets(em, counters, customerId)).values()];
  if (budgets.length === 0) return [];
  const keys = subjectWindowKeys(now, period.start);
  const keyOf = (b: SubjectBudget) => (b.per === 'day' ? keys.day : keys.period);
  const windows = [keys.day, ...(keys.period ? [keys.period] : [])];
  const rows = await subjectUsageIn(
    sqlFor(em),
    customerId,
    budgets.map((b) => b.subject),
    windows,
  );
  const used = new Map(rows.map((r) => [`${r.subject}|${r.windowKey}`, r.units]));
  return budgets
    .sort((a, b) => (a.subject < b.subject ? -1 : a.subject > b.subject ? 1 : 0))
    .map((budget) => ({
      budget,
      ...budgetStanding(budget, used.get(`${budget.subject}|${keyOf(budget)}`) ?? 0, now, period.end),
    }));
}
