import type { EntityManager } from '@mikro-orm/core';
import { recordAudit } from '../../db/audit';
import { customerIdOf } from '../../db/customer-reads';
import { sqlFor } from '../../db/raw-sql';
import {
  budgetsOf,
  deleteBudget,
  lockBudgets,
  otherBudgetCount,
  putBudgetWithin,
  subjectUsageIn,
} from '../../db/subject-budgets';
import { budgetsMemo, countersFor } from '../../db/usage-counters';
import { clockOf } from '../../domain/clock';
import { AppError, notFound } from '../../domain/errors';
import type { Identity } from '../../domain/identity';
import {
  budgetRefusal,
  MAX_BUDGETS_PER_CUSTOMER,
  budgetStanding,
  subjectWindowKeys,
  type BudgetStanding,
  type SubjectBudget,
} from '../../domain/subject-budgets';
import { customerByEmailAnyCase } from '../admin-lists/subscription-detail';
import { accessOf, periodStartOf } from '../access/check-access';
import type { CoreDeps } from '../deps';

export type BudgetView = SubjectBudget & BudgetStanding;

/** Where the customer's billing period stands, as report_usage holds a period budget to it. */
async function periodOf(em: EntityManager, customerId: string) {
  const access = await accessOf(em, customerId);
  return { start: periodStartOf(access), end: access.subscription?.currentPeriodEnd ?? null };
}

/** Each budget of a customer with what its subject used in the window now open. */
export async function budgetViews(em: EntityManager, customerId: string, now: Date): Promise<BudgetView[]> {
  const sql = sqlFor(em);
  const budgets = await budgetsOf(sql, customerId);
  if (budgets.length === 0) return [];
  const period = await periodOf(em, customerId);
  const keys = subjectWindowKeys(now, period.start);
  const used = await subjectUsageIn(
    sql,
    customerId,
    budgets.map((b) => b.subject),
    [keys.day, ...(keys.period ? [keys.period] : [])],
  );
  const unitsIn = new Map(used.map((u) => [`${u.subject}\u0000${u.windowKey}`, u.units]));
  return budgets.map((b) => {
    const key = b.per === 'day' ? keys.day : keys.period;
    const units = key ? (unitsIn.get(`${b.subject}\u0000${key}`) ?? 0) : 0;
    return { ...b, ...budgetStanding(b, units, now, period.end) };
  });
}

async function ownCustomerId(em: EntityManager, identity: Identity): Promise<string | null> {
  return customerIdOf(em, identity.sub);
}

/** The caller's budgets (none before they are a customer). */
export async function ownBudgets(deps: CoreDeps, identity: Identity): Promise<BudgetView[]> {
  const em = deps.orm.em.fork();
  const customerId = await ownCustomerId(em, identity);
  return customerId ? budgetViews(em, customerId, clockOf(deps).now()) : [];
}

/** A customer's budgets, for an admin (404 for no such customer). */
export async function customerBudgets(deps: CoreDeps, email: string): Promise<BudgetView[]> {
  const em = deps.orm.em.fork();
  const customer = await customerByEmailAnyCase(em, email);
  return budgetViews(em, customer.id, clockOf(deps).now());
}

/**
 * Sets the budget of one subject of the caller's usage, replacing the one it had: from the next report on
 * (another API process within the access cache's couple of seconds), events of that subject past it are
 * refused. What the subject already used in the open window counts. Audited.
 */
export async function setOwnBudget(
  deps: CoreDeps,
  identity: Identity,
  budget: SubjectBudget,
): Promise<BudgetView[]> {
  const em = deps.orm.em.fork();
  const customerId = await ownCustomerId(em, identity);
  if (!customerId) throw notFound('customer');
  const refuse = (held: number) => {
    const refusal = budgetRefusal(budget, held);
    if (refusal)
      throw new AppError(
        refusal.code === 'too_many_budgets' ? 'conflict' : 'invalid',
        refusal.code,
        refusal.message,
        { field: refusal.field },
      );
  };
  refuse(await otherBudgetCount(sqlFor(em), customerId, budget.subject));
  const now = clockOf(deps).now();
  await em.transactional(async (tem) => {
    const sql = sqlFor(tem);
    await lockBudgets(sql, customerId);
    // Counted again with the write: another request may have added one since.
    if (!(await putBudgetWithin(sql, customerId, budget, now, MAX_BUDGETS_PER_CUSTOMER)))
      refuse(MAX_BUDGETS_PER_CUSTOMER);
    recordAudit(tem, {
      actor: identity,
      action: 'budget.set',
      entityType: 'customer',
      entityId: customerId,
      before: null,
      after: { ...budget },
    });
  });
  countersFor(em).forgetSnapshot(budgetsMemo(customerId));
  return budgetViews(em, customerId, now);
}

/** Removes a subject's budget (404 `budget_not_found` when it had none). Audited. */
export async function removeOwnBudget(
  deps: CoreDeps,
  identity: Identity,
  subject: string,
): Promise<BudgetView[]> {
  const em = deps.orm.em.fork();
  const customerId = await ownCustomerId(em, identity);
  if (!customerId) throw notFound('customer');
  if (!(await deleteBudget(sqlFor(em), customerId, subject))) throw notFound('budget', subject);
  countersFor(em).forgetSnapshot(budgetsMemo(customerId));
  recordAudit(em, {
    actor: identity,
    action: 'budget.remove',
    entityType: 'customer',
    entityId: customerId,
    before: { subject },
    after: null,
  });
  await em.flush();
  return budgetViews(em, customerId, clockOf(deps).now());
}
