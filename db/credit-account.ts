import { type CreditTerms, type SeatPool, type UsageAccount } from '../domain/credit-usage';
import { seatWindowKey } from '../domain/subject-budgets';
import {
  PREPAID_DRAWN_SQL,
  readDrawableLedger,
  readDrawableLedgers,
  type StoredGrant,
} from './credit-ledger';
import type { CreditMovement } from '../domain/credit-ledger';
import { num, postgresTextArray, type Sql } from './raw-sql';

// Imports stay light: the usage ledger's writer thread loads this module.

/**
 * The account a customer's next event draws on, read from the ledger and the usage counters in two
 * statements, issued together: the period's counted units (every day's counter from the day it starts on, less the units of
 * that day that came before the start; see services/usage/period-usage.ts for why that part is final) and
 * what prepaid grants paid this period, then the grants that can be drawn with what left each. Included
 * credits left, drawable grants, and the overage so far (units beyond included, less what prepaid grants
 * paid) follow. Exact only while the caller holds the customer's credit lock.
 */
export async function readUsageAccount(
  sql: Sql,
  customerId: string,
  terms: CreditTerms,
  at: Date,
): Promise<UsageAccount> {
  const start = terms.periodStart;
  const day = start.toISOString().slice(0, 10);
  const midnight = new Date(`${day}T00:00:00.000Z`);
  // Types the rate card prices by their own lines are outside the pool: they use no included credits.
  const unpooled = terms.unpooledTypes ?? [];
  const notUnpooled = unpooled.length ? ` and type not in (${unpooled.map(() => '?').join(', ')})` : '';
  // The reads go out together (one message inside a batched transaction: db/postgres-transaction.ts), as
  // statements PostgreSQL plans once (every value meets a column).
  const [[totals], { grants, movements }, seatPool] = await Promise.all([
    sql.read<{ days_n: unknown; before_n: unknown; prepaid_n: unknown; seat_n: unknown }>(
      `select ${periodSums(ONE_CUSTOMER, notUnpooled)}`,
      [
        customerId,
        day,
        ...unpooled,
        customerId,
        sql.date(midnight),
        sql.date(start),
        sql.bool(false),
        ...unpooled,
        customerId,
        sql.date(start),
        customerId,
        seatWindowKey(start),
      ],
    ),
    readDrawableLedger(sql, customerId, at),
    readSeatPool(sql, customerId, terms),
  ]);
  return accountOf(terms, totals, grants, movements, seatPool);
}

/** Where periodSums finds a customer's key values: SQL expressions, bound values (`?`) or a row's columns. */
interface SumsKey {
  customer: string;
  day: string;
  midnight: string;
  start: string;
  window: string;
  counted: string;
}

/** One customer's values bound, in the order periodSums names them. */
const ONE_CUSTOMER: SumsKey = {
  customer: '?',
  day: '?',
  midnight: '?',
  start: '?',
  window: '?',
  counted: 'byok = ?',
};
/** The values of each row of the group's key table `k`. */
const EACH_OF_K: SumsKey = {
  customer: 'k.customer_id',
  day: 'k.day',
  midnight: 'k.midnight',
  start: 'k.start',
  window: 'k.window_key',
  counted: 'byok = false',
};

/**
 * The period's four sums (AccountTotals), written once for the reads of one customer and of a group: the
 * counted units of the period's days, those of its first day before it began, what prepaid grants paid in
 * it, and what its seats paid.
 */
const periodSums = (k: SumsKey, notUnpooled = '') =>
  `(select sum(quantity) from daily_usage where customer_id = ${k.customer} and day >= ${k.day}${notUnpooled}) as days_n,
   (select sum(quantity) from usage_events
     where customer_id = ${k.customer} and occurred_at >= ${k.midnight} and occurred_at < ${k.start}
       and ${k.counted}${notUnpooled}) as before_n,
   (select sum(amount) from credit_movements
     where customer_id = ${k.customer} and kind = 'draw' and period_start = ${k.start}) as prepaid_n,
   (select sum(units) from subject_usage where customer_id = ${k.customer} and window_key = ${k.window}) as seat_n`;

/** The period's sums an account is made from, as the reads name them. */
interface AccountTotals {
  days_n: unknown;
  before_n: unknown;
  prepaid_n: unknown;
  seat_n: unknown;
}

function accountOf(
  terms: CreditTerms,
  totals: AccountTotals | undefined,
  grants: StoredGrant[],
  movements: CreditMovement[],
  seatPool: SeatPool | null,
): UsageAccount {
  // What seats paid is not the account's: it uses none of the included credits. Read from the period's
  // seat counter whatever the plan is now, so a change to a plan whose seats carry none moves nothing back.
  const used = num(totals?.days_n) - num(totals?.before_n) - num(totals?.seat_n);
  // Grants drawn earlier this period may have expired since: what they paid still is not overage.
  const prepaid = num(totals?.prepaid_n);
  return {
    includedLeft: Math.max(0, terms.included - used),
    grants,
    movements,
    overageUnits: Math.max(0, Math.max(0, used - terms.included) - prepaid),
    overagePer1kCents: terms.overagePer1kCents,
    cap: terms.cap,
    prepaidOnly: terms.prepaidOnly,
    seatPool,
  };
}

/**
 * readUsageAccount for the customers of a usage group, each exact under its credit lock. On PostgreSQL the
 * customers whose every usage type is pooled are read in two statements whatever their number (their sums,
 * then their drawable grants, each customer's values carried as arrays), where one by one they were two
 * each: a group of five customers was ten statements, each of them PostgreSQL's work to parse, bind and
 * start. A customer whose rate card prices some types by their own lines, and every customer on SQLite,
 * whose statements cost no round trip, is read alone as before.
 */
export async function readUsageAccounts(
  sql: Sql,
  customers: readonly { customerId: string; terms: CreditTerms }[],
  at: Date,
): Promise<Map<string, UsageAccount>> {
  const together = sql.postgres ? customers.filter((c) => !c.terms.unpooledTypes?.length) : [];
  const alone = together.length > 1 ? customers.filter((c) => c.terms.unpooledTypes?.length) : customers;
  const [read, aloneRead] = await Promise.all([
    together.length > 1 ? readTogether(sql, together, at) : new Map<string, UsageAccount>(),
    Promise.all(alone.map((c) => readUsageAccount(sql, c.customerId, c.terms, at))),
  ]);
  alone.forEach((c, i) => read.set(c.customerId, aloneRead[i] as UsageAccount));
  return read;
}

async function readTogether(
  sql: Sql,
  customers: readonly { customerId: string; terms: CreditTerms }[],
  at: Date,
): Promise<Map<string, UsageAccount>> {
  const ids = customers.map((c) => c.customerId);
  const starts = customers.map((c) => c.terms.periodStart);
  const days = starts.map((s) => s.toISOString().slice(0, 10));
  const [totals, grantRows, seatPools] = await Promise.all([
    sql.read<AccountTotals & { customer_id: string }>(
      `select k.customer_id, ${periodSums(EACH_OF_K)}
       from unnest(cast(? as varchar[]), cast(? as varchar[]), cast(? as timestamptz[]), cast(? as timestamptz[]),
                   cast(? as varchar[])) as k(customer_id, day, midnight, start, window_key)`,
      [
        postgresTextArray(ids),
        postgresTextArray(days),
        postgresTextArray(days.map((d) => `${d}T00:00:00.000Z`)),
        postgresTextArray(starts.map((s) => s.toISOString())),
        postgresTextArray(starts.map(seatWindowKey)),
      ],
    ),
    readDrawableLedgers(sql, ids, at),
    Promise.all(customers.map((c) => readSeatPool(sql, c.customerId, c.terms))),
  ]);
  const byCustomer = new Map(totals.map((t) => [t.customer_id, t]));
  const accounts = new Map<string, UsageAccount>();
  customers.forEach((c, i) => {
    const { grants, movements } = grantRows.get(c.customerId) ?? { grants: [], movements: [] };
    accounts.set(
      c.customerId,
      accountOf(c.terms, byCustomer.get(c.customerId), grants, movements, seatPools[i] ?? null),
    );
  });
  return accounts;
}

/** The period's seat credits and what each holder drew of them (one row per holder, at most the seats). */
export async function readSeatPool(
  sql: Sql,
  customerId: string,
  terms: Pick<CreditTerms, 'periodStart' | 'seatPool'>,
): Promise<SeatPool | null> {
  if (!terms.seatPool) return null;
  const rows = await sql.read<{ subject: string; units: unknown }>(
    `select subject, units from subject_usage where customer_id = ? and window_key = ?`,
    [customerId, seatWindowKey(terms.periodStart)],
  );
  return { ...terms.seatPool, drawn: new Map(rows.map((r) => [r.subject, num(r.units)])) };
}

/** What a customer's seats paid in a seat window: one holder's row each (subject_usage). */
const SEAT_PAID_SQL = `select sum(units) from subject_usage where customer_id = ? and window_key = ?`;

/**
 * What the period's seats paid, whatever the plan is now: a change to a plan whose seats carry no credits
 * mid-period leaves what they paid out of the account's pool all the same.
 */
export async function seatPaidInPeriod(sql: Sql, customerId: string, periodStart: Date): Promise<number> {
  const [row] = await sql.run<{ n: unknown }>(`select (${SEAT_PAID_SQL}) as n`, [
    customerId,
    seatWindowKey(periodStart),
  ]);
  return num(row?.n);
}

/**
 * What prepaid grants and the seats paid of the period starting at `periodStart` (prepaidDrawnSince and
 * seatPaidInPeriod), in one statement: the usage view reads both on every call, and on PostgreSQL each
 * statement is a round trip that costs the API about as much CPU as the rest of the view's work.
 */
export async function paidAheadInPeriod(
  sql: Sql,
  customerId: string,
  periodStart: Date,
): Promise<{ prepaid: number; seatPaid: number }> {
  const [row] = await sql.read<{ prepaid: unknown; seats: unknown }>(
    `select (${PREPAID_DRAWN_SQL}) as prepaid, (${SEAT_PAID_SQL}) as seats`,
    [customerId, sql.date(periodStart), customerId, seatWindowKey(periodStart)],
  );
  return { prepaid: num(row?.prepaid), seatPaid: num(row?.seats) };
}
