import { readUsageAccounts } from '../../db/credit-account';
import { addDraws } from '../../db/credit-ledger';
import { newId } from '../../db/ids';
import { chunks, lockKeys, type Sql } from '../../db/raw-sql';
import {
  addToDailyUsage,
  addToSubjectUsage,
  deleteUsageEvents,
  insertNewUsageEvents,
  quotaTotalsOfDays,
  setPrepaidUnits,
  storedUsageEvents,
  type NewUsageEvent,
  type SubjectWindow,
} from '../../db/usage-ledger';
import type { CreditMovement } from '../../domain/credit-ledger';
import { creditResetAt, drawUsage, type CreditTerms, type UsageAccount } from '../../domain/credit-usage';
import { BYOK_ROLLUP_MARK } from '../../domain/usage';
import { seatWindowKey } from '../../domain/subject-budgets';
import { usageEventKey, type LedgerRefusal, type UsageEntry } from '../../domain/usage-report';
import {
  budgetLockKeys,
  budgetTotals,
  bumpSubjectUsage,
  holdToBudgets,
  type CustomerBudgets,
} from './ledger-budgets';

// Imports stay light: this module also runs in the SQLite writer thread (see ledger-group-commit.ts).

/** One event of a report, validated and ready to store (decided in domain/usage-report.ts). */
export type LedgerRow = UsageEntry;

/** What one report_usage request writes: its new events, and the daily cap of each capped customer. */
export interface LedgerWrite<R extends LedgerRow = LedgerRow> {
  rows: R[];
  /** usageEventKey of each row, by position (the report's decision computed them). */
  keys: readonly string[];
  /** Daily caps by customer id, as this request saw the customers' plans. */
  limits: ReadonlyMap<string, number>;
  /** How each customer's usage is paid for, for those whose credits or cap can pay or refuse it. */
  credits?: ReadonlyMap<string, CreditTerms>;
  /** The budgets of customers whose rows name a subject they set one for (see ledger-budgets.ts). */
  budgets?: ReadonlyMap<string, CustomerBudgets>;
  receivedAt: Date;
}

/** A new row the credit ledger or a subject's budget refused, why, and when it resets. */
export interface CreditRefusal<R extends LedgerRow = LedgerRow> {
  row: R;
  reason: LedgerRefusal;
  resetsAt: Date;
}

export interface LedgerWriteResult<R extends LedgerRow = LedgerRow> {
  /** The rows that were new (the others were already stored under the same customer, reporter and id). */
  inserted: R[];
  /** New rows taken back out because they would have passed a daily cap. */
  dropped: R[];
  /** New rows taken back out: no credit paid for them and overage was not allowed, or a budget was used up. */
  refused: CreditRefusal<R>[];
  /** Committed totals of capped customers' touched days, keyed `<customerId>|<day>`. */
  totals: Map<string, number>;
  /** Units added to uncapped customers' days (their totals were not read), keyed `<customerId>|<day>`. */
  uncheckedDeltas: Map<string, number>;
}

// Twelve bound values a row keep each statement under SQLite's 32,766-variable limit.
const ROWS_PER_INSERT = 1000;
// Three bound values a row keep each lookup far under SQLite's 32,766-variable limit.
const ROWS_PER_LOOKUP = 1000;

const dayKey = (r: { customerId: string; day: string }) => `${r.customerId}|${r.day}`;

/** The key of an event as usage_events returns it. */
const storedEventKey = (g: { customer_id: string; event_id: string; reporter: string }) =>
  usageEventKey({ customerId: g.customer_id, reporter: g.reporter, eventId: g.event_id });

/**
 * Writes the reports of a group in one transaction, each as if it had its own transaction after the ones
 * before it: new events go in with one multi-row INSERT … ON CONFLICT DO NOTHING (customer, reporter and
 * event id are the idempotency key), each capped customer's day total is read once and walked through
 * the members in order, taking a member's newest events back out while the day is over its cap, and the
 * `daily_usage` counters move once by what was kept. No two members carry the same event (the group commit keeps them
 * apart), so the rows of the group are distinct.
 */
export async function writeLedgerGroup<R extends LedgerRow>(
  sql: Sql,
  writes: LedgerWrite<R>[],
  /** Takes the last writes unawaited (the caller commits with them); awaited here without it. */
  deferred?: (writes: Promise<unknown>) => void,
): Promise<LedgerWriteResult<R>[]> {
  // Everything the group's decisions read, issued together (on PostgreSQL one message with the lock
  // first; see db/postgres-transaction.ts): the capped days' totals and the credit accounts are read after
  // the insert in the same transaction, and neither moves with it (the counters move last).
  const ids = new Map<LedgerRow, string>();
  const capped = new Map<string, { customerId: string; day: string }>();
  for (const w of writes)
    for (const r of w.rows) if (r.counted && w.limits.has(r.customerId)) capped.set(dayKey(r), r);
  const terms = creditTermsOfGroup(writes);
  const [, inserted, running, accounts, subjectsRunning] = await Promise.all([
    lockCappedDays(sql, writes),
    insertEvents(sql, writes, {}, ids),
    dayTotals(sql, [...capped.values()]),
    readAccounts(sql, terms, (writes[0] as LedgerWrite<R>).receivedAt),
    budgetTotals(sql, writes),
  ]);

  // Each member's effect in order on the day totals.
  const results = writes.map((w, m): LedgerWriteResult<R> => {
    const mine = inserted[m] as R[];
    for (const r of mine) {
      const key = dayKey(r);
      if (r.counted && running.has(key)) running.set(key, (running.get(key) as number) + r.quantity);
    }
    const dropped: R[] = [];
    const totals = new Map<string, number>();
    const uncheckedDeltas = new Map<string, number>();
    for (const r of mine) {
      if (!r.counted) continue;
      const key = dayKey(r);
      const limit = w.limits.get(r.customerId);
      if (limit === undefined) {
        uncheckedDeltas.set(key, (uncheckedDeltas.get(key) ?? 0) + r.quantity);
        continue;
      }
      if (totals.has(key)) continue;
      // The cap holds for every UTC day an event lands on, not only today: a backdated event counts
      // against the day it happened.
      let total = running.get(key) as number;
      const candidates = mine.filter((c) => c.counted && dayKey(c) === key);
      for (let i = candidates.length - 1; i >= 0 && total > limit; i--) {
        const c = candidates[i] as R;
        dropped.push(c);
        total -= c.quantity;
      }
      running.set(key, total);
      totals.set(key, total);
    }
    dropped.sort((a, b) => a.index - b.index);
    // A subject's budget holds what the account's daily cap let through.
    const left = dropped.length === 0 ? mine : mine.filter((r) => !dropped.includes(r));
    const refused = w.budgets ? holdToBudgets(left, w.budgets, subjectsRunning) : [];
    return { inserted: mine, dropped, refused, totals, uncheckedDeltas };
  });

  const { prepaid, draws, seatDraws } = payWithCredits(writes, results, terms, accounts);
  const gone = new Set<LedgerRow>(results.flatMap((r) => [...r.dropped, ...r.refused.map((x) => x.row)]));
  for (const r of results) {
    if (r.refused.length === 0) continue;
    // Refused units were counted in the member's deltas as if kept; they are not.
    for (const { row } of r.refused) {
      const key = dayKey(row);
      if (r.uncheckedDeltas.has(key))
        r.uncheckedDeltas.set(key, (r.uncheckedDeltas.get(key) as number) - row.quantity);
      else if (r.totals.has(key)) r.totals.set(key, (r.totals.get(key) as number) - row.quantity);
    }
  }
  const kept = results.flatMap((r) => r.inserted.filter((row) => !gone.has(row)));
  // The writes, issued together too, in the order they always went. Every statement of them, each chunk of a
  // long list included, is issued before this returns: COMMIT follows them in the same message, and a
  // statement issued after it would run outside the transaction (db/postgres-transaction.ts refuses one).
  const last = Promise.all([
    addDraws(
      sql,
      [...draws].map(([customerId, list]) => ({
        customerId,
        periodStart: (terms.get(customerId) as CreditTerms).periodStart,
        draws: list,
      })),
    ),
    deleteEvents(sql, [...gone]),
    bumpCounters(sql, kept),
    bumpSubjectUsage(sql, kept),
    markPrepaid(sql, prepaid, ids),
    seatDraws.length ? addToSubjectUsage(sql, seatDraws) : null,
  ]);
  if (deferred) deferred(last);
  else await last;
  return results;
}

/** The accounts the group's customers with credit terms draw on, read under their locks. */
function readAccounts(
  sql: Sql,
  terms: ReadonlyMap<string, CreditTerms>,
  at: Date,
): Promise<Map<string, UsageAccount>> {
  const customers = [...terms.keys()].sort().map((customerId) => ({
    customerId,
    terms: terms.get(customerId) as CreditTerms,
  }));
  return readUsageAccounts(sql, customers, at);
}

/**
 * Pays each new counted event of a customer with credit terms, in the group's order: its subject's seat,
 * included credits, then prepaid grants, then overage, or refuses it (domain/credit-usage.ts drawUsage), on
 * the account read under the customer's lock, so the balance never goes below zero, a blocking cap is never
 * passed and no seat pays twice whichever process writes. Answers the units of each row paid ahead (by a
 * seat or a prepaid grant: the rollup bills the rest), the draws to record per customer, and what each
 * subject's seat paid.
 */
function payWithCredits<R extends LedgerRow>(
  writes: LedgerWrite<R>[],
  results: LedgerWriteResult<R>[],
  terms: ReadonlyMap<string, CreditTerms>,
  read: ReadonlyMap<string, UsageAccount>,
): {
  prepaid: Map<LedgerRow, number>;
  draws: Map<string, CreditMovement[]>;
  seatDraws: (SubjectWindow & { units: number })[];
} {
  const prepaid = new Map<LedgerRow, number>();
  const draws = new Map<string, CreditMovement[]>();
  const seats = new Map<string, SubjectWindow & { units: number }>();
  if (terms.size === 0) return { prepaid, draws, seatDraws: [] };
  const accounts = new Map(read);
  writes.forEach((w, m) => {
    const result = results[m] as LedgerWriteResult<R>;
    const dropped = new Set([...result.dropped, ...result.refused.map((r) => r.row)]);
    for (const row of result.inserted) {
      const t = terms.get(row.customerId);
      // A type the rate card prices by its own lines is billed by them: credits never pay it.
      if (!t || !row.counted || dropped.has(row) || t.unpooledTypes?.includes(row.type)) continue;
      const outcome = drawUsage(accounts.get(row.customerId)!, row.quantity, w.receivedAt, row.subject);
      if (!outcome.ok) {
        result.refused.push({ row, reason: outcome.reason, resetsAt: creditResetAt(t, w.receivedAt) });
        continue;
      }
      accounts.set(row.customerId, outcome.after);
      const { fromSeat } = outcome.draw;
      if (fromSeat > 0) {
        const window = {
          customerId: row.customerId,
          subject: row.subject as string,
          windowKey: seatWindowKey(t.periodStart),
        };
        const id = `${window.customerId}|${window.subject}`;
        seats.set(id, { ...window, units: (seats.get(id)?.units ?? 0) + fromSeat });
      }
      if (outcome.draw.prepaid + fromSeat > 0) prepaid.set(row, outcome.draw.prepaid + fromSeat);
      if (outcome.draw.prepaid > 0) {
        const list = draws.get(row.customerId) ?? [];
        list.push(...outcome.draw.draws);
        draws.set(row.customerId, list);
      }
    }
  });
  // In a fixed order, as every counter's writes: two writers never wait on each other's rows crosswise.
  const seatDraws = [...seats.entries()].sort(([a], [b]) => (a < b ? -1 : 1)).map(([, d]) => d);
  return { prepaid, draws, seatDraws };
}

/** Each customer's credit terms in a group: the first member's that names them holds for the whole group. */
function creditTermsOfGroup(writes: LedgerWrite[]): Map<string, CreditTerms> {
  const terms = new Map<string, CreditTerms>();
  for (const w of writes) for (const [id, t] of w.credits ?? []) if (!terms.has(id)) terms.set(id, t);
  return terms;
}

/** Stamps on each kept event the units paid ahead (a seat, prepaid credits), so the rollup bills only the rest. */
async function markPrepaid(
  sql: Sql,
  prepaid: Map<LedgerRow, number>,
  ids: Map<LedgerRow, string>,
): Promise<void> {
  const rows = [...prepaid.entries()].map(([row, units]) => ({ id: ids.get(row) as string, units }));
  await Promise.all(chunks(rows, 400).map((chunk) => setPrepaidUnits(sql, chunk)));
}

/**
 * One writer at a time per capped customer and day. The counters are a row per type, so two transactions
 * adding different types lock different rows and each re-reads a total without the other's uncommitted
 * units: together they could pass the cap. Transaction-scoped advisory locks, taken in one statement in a
 * fixed order, make the second wait for the first to commit. SQLite has one writer already.
 */
async function lockCappedDays(sql: Sql, writes: LedgerWrite[]): Promise<void> {
  if (!sql.postgres) return;
  const keys = new Set<string>();
  const credits = creditTermsOfGroup(writes);
  for (const w of writes)
    for (const r of w.rows) {
      if (r.counted && w.limits.has(r.customerId)) keys.add(`daily_usage:${dayKey(r)}`);
      // One writer at a time draws a customer's credits and checks their cap (see payWithCredits).
      if (r.counted && credits.has(r.customerId)) keys.add(`credits:${r.customerId}`);
    }
  for (const k of budgetLockKeys(writes)) keys.add(k);
  if (keys.size === 0) return;
  await lockKeys(sql, [...keys].sort());
}

/**
 * Whether a group can go in as one statement on PostgreSQL: no capped customer's day to lock and check,
 * and few enough rows for one INSERT, so the statement is the whole transaction.
 */
export function fitsOneStatement(writes: LedgerWrite[]): boolean {
  let rows = 0;
  for (const w of writes) {
    rows += w.rows.length;
    for (const r of w.rows) {
      if (r.counted && (w.limits.has(r.customerId) || w.credits?.has(r.customerId))) return false;
      // A subject's counters are kept by the general path (bumpSubjectUsage).
      if (r.subject) return false;
    }
  }
  return rows <= ROWS_PER_INSERT;
}

/**
 * A group without capped customers on PostgreSQL, in one statement that is its own transaction: the
 * INSERT of the events and, in a data-modifying WITH, the `daily_usage` counters bumped by the rows it
 * inserted. One round trip and one commit instead of four; the answers are writeLedgerGroup's.
 */
export async function writeUncappedGroup<R extends LedgerRow>(
  sql: Sql,
  writes: LedgerWrite<R>[],
): Promise<LedgerWriteResult<R>[]> {
  if (!sql.postgres || !fitsOneStatement(writes))
    throw new Error('writeUncappedGroup: not a one-statement group');
  const inserted = await insertEvents(sql, writes, { countInline: true });
  return inserted.map((rows) => {
    const uncheckedDeltas = new Map<string, number>();
    for (const r of rows)
      if (r.counted) uncheckedDeltas.set(dayKey(r), (uncheckedDeltas.get(dayKey(r)) ?? 0) + r.quantity);
    return { inserted: rows, dropped: [], refused: [], totals: new Map(), uncheckedDeltas };
  });
}

/**
 * Each member's new rows, in request order. With `countInline` (PostgreSQL) the same statement adds the
 * new counted rows to `daily_usage`, by the UTC day of their occurred_at, as bumpCounters would.
 */
async function insertEvents<R extends LedgerRow>(
  sql: Sql,
  writes: LedgerWrite<R>[],
  opts: { countInline?: boolean } = {},
  ids?: Map<LedgerRow, string>,
): Promise<R[][]> {
  const owner = new Map<string, { row: R; member: number }>();
  writes.forEach((w, member) => {
    w.rows.forEach((row, i) => owner.set(w.keys[i] as string, { row, member }));
  });
  // One order for every writer, so two transactions inserting overlapping events cannot deadlock.
  const all = [...owner.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const inserted: R[][] = writes.map(() => []);
  for (const chunk of chunks(all, ROWS_PER_INSERT)) {
    const events: NewUsageEvent[] = [];
    for (const [, { row: r, member }] of chunk) {
      const at = (writes[member] as LedgerWrite<R>).receivedAt;
      const id = newId('uev', at.getTime());
      ids?.set(r, id);
      events.push({
        id,
        customerId: r.customerId,
        eventId: r.eventId,
        reporter: r.reporter,
        type: r.type,
        quantity: r.quantity,
        occurredAt: r.occurredAt,
        receivedAt: at,
        metadata: r.metadata,
        byok: !r.counted,
        rollupId: r.counted || r.billedByok ? null : BYOK_ROLLUP_MARK,
        subject: r.subject ?? null,
      });
    }
    const got = await insertNewUsageEvents(sql, events, opts);
    for (const g of got) {
      const hit = owner.get(storedEventKey(g));
      // A stored id that differs from the one sent (a driver re-encoding text) would be stored yet
      // counted as a duplicate; refuse the whole write rather than answer what was not stored.
      if (!hit) throw new Error(`usage event id changed on its way into the database: ${JSON.stringify(g)}`);
      (inserted[hit.member] as R[]).push(hit.row);
    }
  }
  // RETURNING order is not promised; request order decides which events a full quota drops.
  for (const rows of inserted) rows.sort((a, b) => a.index - b.index);
  return inserted;
}

async function dayTotals(
  sql: Sql,
  days: { customerId: string; day: string }[],
): Promise<Map<string, number>> {
  const totals = new Map<string, number>(days.map((d) => [dayKey(d), 0]));
  for (const chunk of chunks(days, 500)) {
    const rows = await quotaTotalsOfDays(sql, chunk);
    for (const r of rows) totals.set(dayKey({ customerId: r.customer_id, day: r.day }), Number(r.n ?? 0));
  }
  return totals;
}

async function deleteEvents(sql: Sql, rows: LedgerRow[]): Promise<void> {
  await Promise.all(chunks(rows, 500).map((chunk) => deleteUsageEvents(sql, chunk)));
}

/** Which of these events are stored already (read without taking the write lock), by usageEventKey. */
export async function storedEventKeys(sql: Sql, rows: LedgerRow[]): Promise<Set<string>> {
  const found = new Set<string>();
  for (const chunk of chunks(rows, ROWS_PER_LOOKUP)) {
    const got = await storedUsageEvents(sql, chunk);
    for (const g of got) found.add(storedEventKey(g));
  }
  return found;
}

/**
 * Adds the kept events' units to daily_usage (counted ones to `quantity`, BYOK ones to `byok_quantity`),
 * one row per customer, day and type, in a fixed order.
 */
async function bumpCounters(sql: Sql, rows: LedgerRow[]): Promise<void> {
  type Delta = { customerId: string; day: string; type: string; counted: number; byok: number };
  const deltas = new Map<string, Delta>();
  for (const r of rows) {
    const key = `${r.customerId}|${r.day}|${r.type}`;
    const d = deltas.get(key) ?? { customerId: r.customerId, day: r.day, type: r.type, counted: 0, byok: 0 };
    if (r.counted) d.counted += r.quantity;
    else d.byok += r.quantity;
    deltas.set(key, d);
  }
  const list = [...deltas.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, d]) => d);
  await Promise.all(chunks(list, ROWS_PER_INSERT).map((chunk) => addToDailyUsage(sql, chunk)));
}

/** A member's answer as positions in its rows, for the answer to cross from the writer thread. */
export interface LedgerWriteIndexes {
  inserted: number[];
  dropped: number[];
  refused: { row: number; reason: LedgerRefusal; resetsAt: Date }[];
  totals: Map<string, number>;
  uncheckedDeltas: Map<string, number>;
}

/** writeLedgerGroup as the SQLite writer thread runs it: rows do not cross threads as themselves. */
export async function ledgerGroupJob(sql: Sql, writes: LedgerWrite[]): Promise<LedgerWriteIndexes[]> {
  const results = await writeLedgerGroup(sql, writes);
  return results.map((r, m) => {
    const at = new Map((writes[m] as LedgerWrite).rows.map((row, i) => [row, i]));
    const positions = (rows: LedgerRow[]) => rows.map((row) => at.get(row) as number);
    return {
      ...r,
      inserted: positions(r.inserted),
      dropped: positions(r.dropped),
      refused: r.refused.map((x) => ({ ...x, row: at.get(x.row) as number })),
    };
  });
}
