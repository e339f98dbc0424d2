import type { BudgetView } from '../../../services/budgets/subject-budgets';

export function budgetsDto(list: BudgetView[]) {
  return {
    budgets: list.map((b) => ({
      subject: b.subject,
      per: b.per,
      limit_units: b.limitUnits,
      alert_percent: b.alertPercent,
      used: b.used,
      remaining: b.remaining,
      reached: b.reached,
      alert_reached: b.alertReached,
      resets_at: b.resetsAt.toISOString(),
    })),
  };
}
