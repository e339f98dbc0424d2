import type { SubjectBudget } from '../domain/subject-budgets';
import { lockKeys, type Sql } from './raw-sql';

interface BudgetRow {
  subject: string;
  per: string;
  limit_units: number | string;
  alert_percent: number | string | null;
}

const budgetOfRow = (r: BudgetRow): SubjectBudget => ({
  subject: r.subject,
  per: r.per === 'period' ? 'period' : 'day',
  limitUnits: Number(r.limit_units),
  alertPercent: r.alert_percent === null ? null : Number(r.alert_percent),
});

/** A customer's budgets, by subject. */
export async function budgetsOf(sql: Sql, customerId: string): Promise<SubjectBudget[]> {
  const rows = await sql.read<BudgetRow>(
    'select subject, per, limit_units, alert_percent from subject_budgets where customer_id = ? order by subject',
    [customerId],
  );
  return rows.map(budgetOfRow);
}

/** How many budgets a customer keeps besides the one for `subject`. */
export async function otherBudgetCount(sql: Sql, customerId: string, subject: string): Promise<number> {
  const rows = await sql.run<{ n: number | string }>(
    'select count(*) as n from subject_budgets where customer_id = ? and subject <> ?',
    [customerId, subject],
  );
  return Number(rows[0]?.n ?? 0);
}

/**
 * Sets a subject's budget, replacing the one it had, unless the customer keeps `maxOthers` budgets for
 * other subjects already: the count and the write are one statement (SQLite's one writer runs it whole;
 * on PostgreSQL the caller holds lockBudgets), so two set at once cannot pass the limit together. Answers
 * whether it was written.
 */
export async function putBudgetWithin(
  sql: Sql,
  customerId: string,
  b: SubjectBudget,
  at: Date,
  maxOthers: number,
): Promise<boolean> {
  const rows = await sql.run(
    `insert into subject_budgets (customer_id, subject, per, limit_units, alert_percent, created_at, updated_at)
       select ?, ?, ?, ?, ?, ?, ?
       where (select count(*) from subject_budgets where customer_id = ? and subject <> ?) < ?
       on conflict (customer_id, subject) do update set per = excluded.per, limit_units = excluded.limit_units,
         alert_percent = excluded.alert_percent, updated_at = excluded.updated_at
       returning subject`,
    [
      customerId,
      b.subject,
      b.per,
      b.limitUnits,
      b.alertPercent,
      sql.date(at),
      sql.date(at),
      customerId,
      b.subject,
      maxOthers,
    ],
  );
  return rows.length > 0;
}

/** Holds the customer's budgets lock until the transaction ends (PostgreSQL; SQLite has one writer). */
export function lockBudgets(sql: Sql, customerId: string): Promise<void> {
  return lockKeys(sql, [`budgets:${customerId}`]);
}

/** Removes a subject's budget; answers whether there was one. */
export async function deleteBudget(sql: Sql, customerId: string, subject: string): Promise<boolean> {
  const rows = await sql.run(
    'delete from subject_budgets where customer_id = ? and subject = ? returning subject',
    [customerId, subject],
  );
  return rows.length > 0;
}

/**
 * The units these subjects of a customer counted in these windows (`d:<day>`, `p:<period start>`): what a
 * budget is shown against and what an access check holds it to.
 */
export async function subjectUsageIn(
  sql: Sql,
  customerId: string,
  subjects: readonly string[],
  windowKeys: readonly string[],
): Promise<{ subject: string; windowKey: string; units: number }[]> {
  if (windowKeys.length === 0 || subjects.length === 0) return [];
  const list = (n: number) => Array.from({ length: n }, () => '?').join(', ');
  const rows = await sql.run<{ subject: string; window_key: string; units: number | string }>(
    `select subject, window_key, units from subject_usage
       where customer_id = ? and subject in (${list(subjects.length)}) and window_key in (${list(windowKeys.length)})`,
    [customerId, ...subjects, ...windowKeys],
  );
  return rows.map((r) => ({ subject: r.subject, windowKey: r.window_key, units: Number(r.units) }));
}
