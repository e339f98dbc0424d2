import type { CreditTerms, UsageAccount } from '../domain/credit-usage';
import { prepaidDrawnSince, readDrawableLedger } from './credit-ledger';
import { num, type Sql } from './raw-sql';

// Imports stay light: the usage ledger's writer thread loads this module.

/**
 * Counted units of the period so far: every day's counter from the day it starts on, less the units of
 * that day that came before the start (see services/usage/period-usage.ts for why that part is final).
 */
async function periodUnits(sql: Sql, customerId: string, start: Date): Promise<number> {
  const day = start.toISOString().slice(0, 10);
  const midnight = new Date(`${day}T00:00:00.000Z`);
  const [row] = await sql.run<{ days_n: unknown; before_n: unknown }>(
    `select (select sum(quantity) from daily_usage where customer_id = ? and day >= ?) as days_n,
            (select sum(quantity) from usage_events
              where customer_id = ? and occurred_at >= ? and occurred_at < ? and byok = ?) as before_n`,
    [customerId, day, customerId, sql.date(midnight), sql.date(start), sql.bool(false)],
  );
  return num(row?.days_n) - num(row?.before_n);
}

/**
 * The account a customer's next event draws on, read from the ledger and the usage counters: the period's
 * included credits left, the prepaid grants that can still be drawn, and the overage so far (units beyond
 * included, less what prepaid grants paid). Exact only while the caller holds the customer's credit lock.
 */
export async function readUsageAccount(
  sql: Sql,
  customerId: string,
  terms: CreditTerms,
  at: Date,
): Promise<UsageAccount> {
  const used = await periodUnits(sql, customerId, terms.periodStart);
  const { grants, movements } = await readDrawableLedger(sql, customerId, at);
  // Grants drawn earlier this period may have expired since: what they paid still is not overage.
  const prepaid = await prepaidDrawnSince(sql, customerId, terms.periodStart);
  return {
    includedLeft: Math.max(0, terms.included - used),
    grants,
    movements,
    overageUnits: Math.max(0, Math.max(0, used - terms.included) - prepaid),
    overagePer1kCents: terms.overagePer1kCents,
    cap: terms.cap,
    prepaidOnly: terms.prepaidOnly,
  };
}
