import type { EntityManager } from '@mikro-orm/core';
import { sqlFor } from '../../db/raw-sql';
import {
  settleReport,
  type EventRejection,
  type ReportDecision,
  type ReportSettlement,
} from '../../domain/usage-report';
import { storedEventKeys } from './ledger-transaction';
import { writeLedger } from './ledger-group-commit';
import type { LoadedReport } from './load-report';
import { creditAccountMemo } from './credit-terms';
import { checkAlertsSoon } from '../credits/alerts';
import type { CreditTerms } from '../../domain/credit-usage';
import type { CustomerBudgets } from './ledger-budgets';
import { alertingSubjects, recordBudgetAlerts } from '../budgets/budget-alerts';

/**
 * Writes what decideReport let through and settles the quota: events of a customer whose day was already
 * full are only looked up (a stored one is a replay), the rest go to the ledger in one group commit, which
 * takes a request's newest events back out while a day is over its cap; the committed totals then replace
 * this process's cached counters.
 */
export async function recordReport(
  em: EntityManager,
  ctx: LoadedReport,
  decision: ReportDecision,
  earlier: readonly EventRejection[],
  /** Runs after the answer for each customer the report added usage to (see checkAlertsSoon). */
  afterUsage?: (customerId: string) => Promise<unknown>,
): Promise<ReportSettlement> {
  const storedOverCap =
    decision.overCap.length > 0 ? await storedEventKeys(sqlFor(em), decision.overCap) : new Set<string>();
  let written: Parameters<typeof settleReport>[0]['written'] = null;
  let todaysTotals = new Map<string, number>();
  if (decision.toStore.length > 0) {
    const limits = new Map<string, number>();
    const credits = new Map<string, CreditTerms>();
    const budgets = new Map<string, CustomerBudgets>();
    for (const t of ctx.targets.values()) {
      if (t?.dailyLimit != null) limits.set(t.customerId, t.dailyLimit);
      if (t?.credit) credits.set(t.customerId, t.credit);
      if (t?.budgets?.size)
        budgets.set(t.customerId, { bySubject: t.budgets, periodEnd: t.periodEnd ?? null });
    }
    const result = await writeLedger(em, {
      rows: decision.toStore,
      keys: decision.toStoreKeys,
      limits,
      credits,
      ...(budgets.size > 0 ? { budgets } : {}),
      receivedAt: ctx.now,
    });
    todaysTotals = ctx.counters.settle(result.totals, result.uncheckedDeltas, ctx.today);
    // check-access's view of their account is behind what was just drawn: it reads it again. Whether they
    // take the credit path at all (creditTermsOf) stays memoised: the locked path reads the account itself.
    for (const id of credits.keys()) ctx.counters.forgetSnapshot(creditAccountMemo(id));
    // Alerts look at where the customers stand once the report is answered (services/credits/alerts.ts).
    checkAlertsSoon(
      em,
      unitsByCustomer(result.inserted, result.refused),
      ctx.now,
      (err) => process.emitWarning(`credit alerts: ${(err as Error).message}`),
      afterUsage,
    );
    const alerting = budgets.size > 0 ? alertingSubjects(result.inserted, (id) => budgets.get(id)) : [];
    if (alerting.length > 0)
      void recordBudgetAlerts(em, alerting, ctx.now).catch((err: unknown) =>
        process.emitWarning(`budget alerts: ${(err as Error).message}`),
      );
    written = {
      inserted: result.inserted.length,
      dropped: result.dropped,
      refused: result.refused.map((r) => ({ entry: r.row, reason: r.reason, resetsAt: r.resetsAt })),
    };
  }
  const own = ctx.targets.get('self') ?? null;
  const ownQuota =
    own?.dailyLimit != null
      ? {
          limit: own.dailyLimit,
          usedToday:
            todaysTotals.get(own.customerId) ?? (await ctx.counters.usedOn(em, own.customerId, ctx.today)),
        }
      : null;
  return settleReport({ ctx, decision, earlier, storedOverCap, written, ownQuota });
}

/**
 * The units a report added for each customer, as the alerts count them: every stored event's quantity,
 * whether credits paid it or not (a count that runs ahead only looks sooner). Refused customers too, with
 * none: a prepaid-only customer at zero adds no usage, and may be due a top-up.
 */
function unitsByCustomer(
  inserted: readonly { customerId: string; quantity: number }[],
  refused: readonly { row: { customerId: string } }[],
): Map<string, number> {
  const units = new Map<string, number>();
  for (const r of refused) units.set(r.row.customerId, 0);
  for (const r of inserted) units.set(r.customerId, (units.get(r.customerId) ?? 0) + r.quantity);
  return units;
}
