import type { EntityManager } from '@mikro-orm/core';
import { recordBillingEvent } from '../../db/billing-events';
import { sqlFor } from '../../db/raw-sql';
import { subjectUsageIn } from '../../db/subject-budgets';
import { budgetAlertReached, budgetResetsAt, type SubjectBudget } from '../../domain/subject-budgets';
import type { UsageEntry } from '../../domain/usage-report';
import type { CustomerBudgets } from '../usage/ledger-budgets';

/** A subject a report added to, whose budget has an alert. */
export interface AlertingSubject {
  customerId: string;
  budget: SubjectBudget;
  windowKey: string;
  periodEnd: Date | null;
}

/** The alerting budgets a report's kept events touched, each window once. */
export function alertingSubjects(
  rows: readonly UsageEntry[],
  budgetsOf: (customerId: string) => CustomerBudgets | undefined,
): AlertingSubject[] {
  const found = new Map<string, AlertingSubject>();
  for (const r of rows) {
    if (!r.subject || !r.counted) continue;
    const terms = budgetsOf(r.customerId);
    const budget = terms?.bySubject.get(r.subject);
    if (!budget || budget.alertPercent === null) continue;
    const windowKey = budget.per === 'day' ? `d:${r.day}` : r.subjectPeriodKey;
    if (!windowKey) continue;
    found.set(`${r.customerId}\u0000${r.subject}\u0000${windowKey}`, {
      customerId: r.customerId,
      budget,
      windowKey,
      periodEnd: terms?.periodEnd ?? null,
    });
  }
  return [...found.values()];
}

const MAX_REMEMBERED = 50_000;
/** Windows this process already told (or saw told): no read for them again. */
const told = new Set<string>();

/**
 * Records `budget.threshold_reached` for each subject whose window reached its alert: once per customer,
 * subject and window, whichever process sees it first (the billing event's dedupe key), for the outgoing
 * webhooks. Runs after the report is answered.
 */
export async function recordBudgetAlerts(
  em: EntityManager,
  subjects: AlertingSubject[],
  now: Date,
): Promise<void> {
  const sql = sqlFor(em);
  for (const s of subjects) {
    const key = `budget.threshold_reached:${s.customerId}:${s.budget.subject}:${s.windowKey}`;
    if (told.has(key)) continue;
    const rows = await subjectUsageIn(sql, s.customerId, [s.budget.subject], [s.windowKey]);
    const used = rows[0]?.units ?? 0;
    if (!budgetAlertReached(s.budget, used)) continue;
    await recordBillingEvent(sql, {
      customerId: s.customerId,
      type: 'budget.threshold_reached',
      payload: {
        subject: s.budget.subject,
        per: s.budget.per,
        limit_units: s.budget.limitUnits,
        alert_percent: s.budget.alertPercent,
        used,
        resets_at: budgetResetsAt(s.budget.per, now, s.periodEnd).toISOString(),
      },
      dedupeKey: key,
      at: now,
    });
    if (told.size >= MAX_REMEMBERED) told.clear();
    told.add(key);
  }
}
