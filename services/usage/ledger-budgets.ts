import { chunks, type Sql } from '../../db/raw-sql';
import { addToSubjectUsage, subjectUsageTotals, type SubjectWindow } from '../../db/usage-ledger';
import {
  budgetResetsAt,
  trimToBudget,
  type BudgetWindow,
  type SubjectBudget,
} from '../../domain/subject-budgets';
import type { UsageEntry } from '../../domain/usage-report';

// Imports stay light: this module also runs in the SQLite writer thread (see ledger-group-commit.ts).

/** A customer's budgets as a report saw them, by subject, and when their period ends. */
export interface CustomerBudgets {
  bySubject: ReadonlyMap<string, SubjectBudget>;
  periodEnd: Date | null;
}

/**
 * One key for a subject's window, for maps and advisory locks: `|` is in none of the parts (ids, subjects
 * and window keys exclude it), and a NUL could not travel in a statement's text to PostgreSQL.
 */
const windowId = (w: SubjectWindow) => `${w.customerId}|${w.subject}|${w.windowKey}`;

/** The window a counted row's budget holds it to, with that budget's limit; null when none does. */
export function budgetOf(
  row: UsageEntry,
  budgets: ReadonlyMap<string, CustomerBudgets> | undefined,
): { window: SubjectWindow; id: string; limit: number; per: BudgetWindow } | null {
  if (!row.counted || !row.subject || !budgets) return null;
  const budget = budgets.get(row.customerId)?.bySubject.get(row.subject);
  if (!budget) return null;
  const windowKey = budget.per === 'day' ? `d:${row.day}` : (row.subjectPeriodKey ?? null);
  if (windowKey === null) return null;
  const window = { customerId: row.customerId, subject: row.subject, windowKey };
  return { window, id: windowId(window), limit: budget.limitUnits, per: budget.per };
}

/** The lock names of the budgeted windows a group writes to (one writer at a time per window). */
export function budgetLockKeys(
  writes: readonly { rows: UsageEntry[]; budgets?: ReadonlyMap<string, CustomerBudgets> }[],
): string[] {
  const keys = new Set<string>();
  for (const w of writes)
    for (const r of w.rows) {
      const b = budgetOf(r, w.budgets);
      if (b) keys.add(`subject_usage:${b.id}`);
    }
  return [...keys];
}

/** The units already counted in the budgeted windows a group writes to, by window id. */
export async function budgetTotals(
  sql: Sql,
  writes: readonly { rows: UsageEntry[]; budgets?: ReadonlyMap<string, CustomerBudgets> }[],
): Promise<Map<string, number>> {
  const windows = new Map<string, SubjectWindow>();
  for (const w of writes)
    for (const r of w.rows) {
      const b = budgetOf(r, w.budgets);
      if (b) windows.set(b.id, b.window);
    }
  const totals = new Map<string, number>([...windows.keys()].map((id) => [id, 0]));
  const list = [...windows.values()];
  for (let i = 0; i < list.length; i += 300) {
    for (const r of await subjectUsageTotals(sql, list.slice(i, i + 300)))
      totals.set(
        windowId({ customerId: r.customer_id, subject: r.subject, windowKey: r.window_key }),
        Number(r.units),
      );
  }
  return totals;
}

/**
 * Holds one member's new rows to their subjects' budgets, after the daily cap: per window, in request
 * order, the newest are taken out while the window's total is over its limit (domain trimToBudget).
 * `running` carries each window's total from member to member and ends at what the group keeps.
 */
export function holdToBudgets<R extends UsageEntry>(
  rows: readonly R[],
  budgets: ReadonlyMap<string, CustomerBudgets> | undefined,
  running: Map<string, number>,
): { row: R; reason: 'budget_reached'; resetsAt: Date }[] {
  const byWindow = new Map<string, { limit: number; per: BudgetWindow; rows: R[] }>();
  for (const r of rows) {
    const b = budgetOf(r, budgets);
    if (!b) continue;
    const entry = byWindow.get(b.id) ?? { limit: b.limit, per: b.per, rows: [] };
    entry.rows.push(r);
    byWindow.set(b.id, entry);
  }
  const refused: { row: R; reason: 'budget_reached'; resetsAt: Date }[] = [];
  for (const [id, { limit, per, rows: list }] of byWindow) {
    const { out, total } = trimToBudget(
      running.get(id) ?? 0,
      limit,
      list.map((r) => r.quantity),
    );
    running.set(id, total);
    for (const i of out) {
      const row = list[i] as R;
      const periodEnd = budgets?.get(row.customerId)?.periodEnd ?? null;
      refused.push({
        row,
        reason: 'budget_reached',
        resetsAt: budgetResetsAt(per, row.occurredAt, periodEnd),
      });
    }
  }
  return refused;
}

/** Adds the kept rows' counted units to their subjects' day and period counters, in a fixed order. */
export async function bumpSubjectUsage(sql: Sql, rows: readonly UsageEntry[]): Promise<void> {
  const deltas = new Map<string, SubjectWindow & { units: number }>();
  const add = (customerId: string, subject: string, windowKey: string, units: number) => {
    const w = { customerId, subject, windowKey };
    const id = windowId(w);
    const d = deltas.get(id) ?? { ...w, units: 0 };
    d.units += units;
    deltas.set(id, d);
  };
  for (const r of rows) {
    if (!r.counted || !r.subject) continue;
    add(r.customerId, r.subject, `d:${r.day}`, r.quantity);
    if (r.subjectPeriodKey) add(r.customerId, r.subject, r.subjectPeriodKey, r.quantity);
  }
  if (deltas.size === 0) return;
  const list = [...deltas.entries()].sort(([a], [b]) => (a < b ? -1 : 1)).map(([, d]) => d);
  // Issued together: these are among the transaction's last writes, which COMMIT follows in one message.
  await Promise.all(chunks(list, 1000).map((slice) => addToSubjectUsage(sql, slice)));
}
