import { placeholders, type Sql } from './raw-sql';

// Imports stay light: this module also runs in the SQLite writer thread (services/usage/ledger-group-commit.ts).

/** A usage event as report_usage stores it. */
export interface NewUsageEvent {
  id: string;
  customerId: string;
  eventId: string;
  reporter: string;
  type: string;
  quantity: number;
  occurredAt: Date;
  receivedAt: Date;
  metadata: unknown;
  byok: boolean;
  rollupId: string | null;
  /** What inside the account it was for, when the reporter named it. */
  subject?: string | null;
}

/** An event's idempotency key as usage_events holds it. */
export interface StoredEventKey {
  customer_id: string;
  event_id: string;
  reporter: string;
}

const EVENT_COLUMNS = 12;

/** `(event_id = ? and …) or (…)` matching these events by their unique key, with its bound values. */
function matchingEvents(rows: { eventId: string; customerId: string; reporter: string }[]): {
  where: string;
  params: unknown[];
} {
  return {
    where: rows.map(() => '(event_id = ? and customer_id = ? and reporter = ?)').join(' or '),
    params: rows.flatMap((r) => [r.eventId, r.customerId, r.reporter]),
  };
}

/** Which of these events were new (customer, reporter and event id are the idempotency key), storing them. */
export function insertNewUsageEvents(
  sql: Sql,
  events: NewUsageEvent[],
  opts: { countInline?: boolean },
): Promise<StoredEventKey[]> {
  const params: unknown[] = [];
  for (const e of events) {
    params.push(
      e.id,
      e.customerId,
      e.eventId,
      e.reporter,
      e.type,
      e.quantity,
      sql.date(e.occurredAt),
      sql.date(e.receivedAt),
      e.metadata,
      sql.bool(e.byok),
      e.rollupId,
      e.subject ?? null,
    );
  }
  // With `countInline` (PostgreSQL) the same statement bumps `daily_usage`: one round trip, one commit.
  const insert = `insert into usage_events (id, customer_id, event_id, reporter, type, quantity, occurred_at, received_at, metadata, byok, rollup_id, subject)
       values ${placeholders(events.length, EVENT_COLUMNS)}
       on conflict (event_id, customer_id, reporter) do nothing`;
  // Every value meets a column of the insert: bound, not quoted, on PostgreSQL.
  return sql.write<StoredEventKey>(
    opts.countInline
      ? `with ins as (${insert} returning customer_id, event_id, reporter, type, quantity, occurred_at, byok),
           bump as (
             insert into daily_usage (customer_id, day, type, quantity, byok_quantity)
             select customer_id, to_char(occurred_at at time zone 'UTC', 'YYYY-MM-DD'), type,
                    coalesce(sum(quantity) filter (where not byok), 0), coalesce(sum(quantity) filter (where byok), 0)
             from ins group by 1, 2, 3 order by 1, 2, 3
             on conflict (customer_id, day, type) do update set quantity = daily_usage.quantity + excluded.quantity,
               byok_quantity = daily_usage.byok_quantity + excluded.byok_quantity
           )
           select customer_id, event_id, reporter from ins`
      : `${insert} returning customer_id, event_id, reporter`,
    params,
  );
}

/** The quota-counted totals of these customers' days, which a daily cap is checked against. */
export function quotaTotalsOfDays(
  sql: Sql,
  days: { customerId: string; day: string }[],
): Promise<{ customer_id: string; day: string; n: number | string | null }[]> {
  return sql.run<{ customer_id: string; day: string; n: number | string | null }>(
    `select customer_id, day, sum(quantity - forgiven) as n from daily_usage
       where ${days.map(() => '(customer_id = ? and day = ?)').join(' or ')} group by customer_id, day`,
    days.flatMap((d) => [d.customerId, d.day]),
  );
}

/** Takes back out events a cap or the credit ledger refused, by their idempotency key. */
export function deleteUsageEvents(
  sql: Sql,
  rows: { eventId: string; customerId: string; reporter: string }[],
): Promise<unknown> {
  const match = matchingEvents(rows);
  return sql.run(`delete from usage_events where ${match.where}`, match.params);
}

/** Which of these events are stored already, so a report over its cap can tell duplicates from new ones. */
export function storedUsageEvents(
  sql: Sql,
  rows: { eventId: string; customerId: string; reporter: string }[],
): Promise<StoredEventKey[]> {
  const match = matchingEvents(rows);
  return sql.run<StoredEventKey>(
    `select customer_id, event_id, reporter from usage_events where ${match.where}`,
    match.params,
  );
}

/** Moves the daily counters quota checks and the usage views read by what a report kept. */
export function addToDailyUsage(
  sql: Sql,
  deltas: { customerId: string; day: string; type: string; counted: number; byok: number }[],
): Promise<unknown> {
  return sql.write(
    `insert into daily_usage (customer_id, day, type, quantity, byok_quantity) values ${placeholders(deltas.length, 5)}
       on conflict (customer_id, day, type) do update set quantity = daily_usage.quantity + excluded.quantity,
         byok_quantity = daily_usage.byok_quantity + excluded.byok_quantity`,
    deltas.flatMap((d) => [d.customerId, d.day, d.type, d.counted, d.byok]),
  );
}

/** A subject's counter in one window (domain/subject-budgets.ts subjectWindowKeys). */
export interface SubjectWindow {
  customerId: string;
  subject: string;
  windowKey: string;
}

/** The units counted so far in these subjects' windows, which their budgets are checked against. */
export function subjectUsageTotals(
  sql: Sql,
  windows: SubjectWindow[],
): Promise<{ customer_id: string; subject: string; window_key: string; units: number | string }[]> {
  return sql.run(
    `select customer_id, subject, window_key, units from subject_usage
       where ${windows.map(() => '(customer_id = ? and subject = ? and window_key = ?)').join(' or ')}`,
    windows.flatMap((w) => [w.customerId, w.subject, w.windowKey]),
  );
}

/** Adds kept events' counted units to their subjects' windows, in the order given. */
export function addToSubjectUsage(sql: Sql, deltas: (SubjectWindow & { units: number })[]): Promise<unknown> {
  return sql.run(
    `insert into subject_usage (customer_id, subject, window_key, units) values ${placeholders(deltas.length, 4)}
       on conflict (customer_id, subject, window_key) do update set units = subject_usage.units + excluded.units`,
    deltas.flatMap((d) => [d.customerId, d.subject, d.windowKey, d.units]),
  );
}

/** Records the units prepaid credits paid on each event, so the rollup bills only the rest. */
export function setPrepaidUnits(sql: Sql, rows: { id: string; units: number }[]): Promise<unknown> {
  return sql.write(
    `update usage_events set prepaid = case id ${rows.map(() => 'when ? then cast(? as integer)').join(' ')} end
       where id in (${rows.map(() => '?').join(', ')})`,
    [...rows.flatMap((r) => [r.id, r.units]), ...rows.map((r) => r.id)],
  );
}
