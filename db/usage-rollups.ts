import { placeholders, type Sql } from './raw-sql';

/** A usage event not yet rolled up, as the rollup reads it. */
export interface UnrolledEventRow {
  id: string;
  customer_id: string;
  type: string;
  quantity: number;
  occurred_at: unknown;
  metadata: unknown;
  byok: unknown;
  /** Units of it credits paid (`quantity` is already net of them). */
  prepaid: number;
}

/** A rollup as the reporters read it. */
export interface RollupRow {
  id: string;
  customer_id: string;
  type: string;
  quantity: number;
  identifier: string;
  line_key: string;
  period_start: unknown;
  window_start: unknown;
  window_end: unknown;
}

/** A rollup to insert; a settled one (nothing to bill) is stamped reported to Stripe and Lago at once. */
export interface NewRollup {
  id: string;
  customerId: string;
  type: string;
  lineKey: string;
  periodStart: Date;
  windowStart: Date;
  windowEnd: Date;
  quantity: number;
  identifier: string;
  settled: boolean;
}

const ID_CHUNK = 1000;

/** The oldest unrolled events of windows closed before `closedBefore`, at most `limit`. */
export function unrolledEvents(sql: Sql, closedBefore: Date, limit: number): Promise<UnrolledEventRow[]> {
  return sql.run<UnrolledEventRow>(
    // What prepaid credits paid is in the ledger already: Stripe and Lago are told only the rest.
    `select id, customer_id, type, quantity - prepaid as quantity, prepaid, occurred_at, metadata, byok from usage_events
         where rollup_id is null and occurred_at < ? order by occurred_at limit ?`,
    [sql.date(closedBefore), limit],
  );
}

/** Links events to their rollup (or the BYOK mark), a thousand ids a statement. */
export async function linkEventsToRollup(sql: Sql, rollupId: string, ids: string[]): Promise<void> {
  for (let i = 0; i < ids.length; i += ID_CHUNK) {
    const chunk = ids.slice(i, i + ID_CHUNK);
    await sql.run(`update usage_events set rollup_id = ? where id in (${chunk.map(() => '?').join(', ')})`, [
      rollupId,
      ...chunk,
    ]);
  }
}

/** How many rollups each customer, type, line and window between `from` and `to` has already. */
export function rollupsPerWindow(
  sql: Sql,
  from: Date,
  to: Date,
): Promise<{ customer_id: string; type: string; line_key: string; window_start: unknown; n: number }[]> {
  return sql.run<{
    customer_id: string;
    type: string;
    line_key: string;
    window_start: unknown;
    n: number;
  }>(
    `select customer_id, type, line_key, window_start, count(*) as n from usage_rollups
         where window_start >= ? and window_start <= ? group by customer_id, type, line_key, window_start`,
    [sql.date(from), sql.date(to)],
  );
}

/** Inserts rollups, four hundred a statement. */
export async function insertRollups(sql: Sql, rows: NewRollup[], createdAt: Date): Promise<void> {
  const created = sql.date(createdAt);
  for (let i = 0; i < rows.length; i += 400) {
    const chunk = rows.slice(i, i + 400);
    await sql.run(
      `insert into usage_rollups (id, customer_id, type, line_key, period_start, window_start, window_end, quantity,
             identifier, created_at, stripe_reported_at, lago_reported_at)
           values ${placeholders(chunk.length, 12)}`,
      chunk.flatMap((r) => [
        r.id,
        r.customerId,
        r.type,
        r.lineKey,
        sql.date(r.periodStart),
        sql.date(r.windowStart),
        sql.date(r.windowEnd),
        r.quantity,
        r.identifier,
        created,
        r.settled ? created : null,
        r.settled ? created : null,
      ]),
    );
  }
}

/** One token kind of an event priced on its own line: which rollup its units went into. */
export interface NewEventPart {
  eventId: string;
  kind: string;
  rollupId: string;
  units: number;
}

/** Records where each kind of events priced kind by kind went, five hundred a statement. */
export async function insertEventParts(sql: Sql, parts: NewEventPart[]): Promise<void> {
  for (let i = 0; i < parts.length; i += 500) {
    const chunk = parts.slice(i, i + 500);
    await sql.run(
      `insert into usage_event_parts (event_id, kind, rollup_id, units) values ${placeholders(chunk.length, 4)}`,
      chunk.flatMap((p) => [p.eventId, p.kind, p.rollupId, p.units]),
    );
  }
}

/** The rollups each event priced kind by kind went into, in kind order, for the event ids given. */
export async function eventPartRollups(
  sql: Sql,
  eventIds: readonly string[],
): Promise<Map<string, string[]>> {
  const out = new Map<string, string[]>();
  for (let i = 0; i < eventIds.length; i += ID_CHUNK) {
    const chunk = eventIds.slice(i, i + ID_CHUNK);
    const rows = await sql.read<{ event_id: string; rollup_id: string }>(
      `select event_id, rollup_id from usage_event_parts
          where event_id in (${chunk.map(() => '?').join(', ')}) order by event_id, kind`,
      chunk,
    );
    for (const r of rows) out.set(r.event_id, [...(out.get(r.event_id) ?? []), r.rollup_id]);
  }
  return out;
}

/** Stamps rollups as reported to one system. */
export async function markRollupsReported(
  sql: Sql,
  column: 'stripe_reported_at' | 'lago_reported_at',
  ids: string[],
  at: Date,
): Promise<void> {
  await sql.run(`update usage_rollups set ${column} = ? where id in (${ids.map(() => '?').join(', ')})`, [
    sql.date(at),
    ...ids,
  ]);
}

/** Rollups not yet reported to Stripe of customers Stripe knows, oldest first, with their Stripe id. */
export function rollupsUnreportedToStripe(
  sql: Sql,
  limit: number,
): Promise<(RollupRow & { stripe_customer_id: string })[]> {
  return sql.run<RollupRow & { stripe_customer_id: string }>(
    `select r.id, r.customer_id, r.type, r.quantity, r.identifier, r.line_key, r.period_start, r.window_start,
              r.window_end, r.created_at, c.stripe_customer_id
       from usage_rollups r join customers c on c.id = r.customer_id
       where r.stripe_reported_at is null and c.stripe_customer_id is not null
       order by r.created_at, r.id limit ?`,
    [limit],
  );
}

/** A customer's rolled-up quantity per rate card line in the billing period starting at `periodStart`. */
export function periodLineTotals(
  sql: Sql,
  customerId: string,
  periodStart: Date,
): Promise<{ line_key: string; n: unknown }[]> {
  return sql.run<{ line_key: string; n: unknown }>(
    `select line_key, sum(quantity) as n from usage_rollups where customer_id = ? and period_start = ?
         group by line_key`,
    [customerId, sql.date(periodStart)],
  );
}

/**
 * Rollups not yet reported to Lago, oldest first, each with the subscription its window belongs to: the
 * newest one started before the window ended. It is Lago's dedupe scope for transaction_id, so it must come
 * out the same on every retry.
 */
export function rollupsUnreportedToLago(
  sql: Sql,
  limit: number,
): Promise<(RollupRow & { subscription_id: string | null })[]> {
  return sql.run<RollupRow & { subscription_id: string | null }>(
    `select r.id, r.customer_id, r.type, r.quantity, r.identifier, r.line_key, r.period_start, r.window_start,
         r.window_end, (select s.id from subscriptions s where s.customer_id = r.customer_id and s.created_at < r.window_end
          order by s.created_at desc limit 1) as subscription_id
       from usage_rollups r where r.lago_reported_at is null
       order by r.created_at, r.id limit ?`,
    [limit],
  );
}
