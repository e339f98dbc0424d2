import { usageTypes } from './usage-types';
import type { EntityManager } from '@mikro-orm/core';
import { Customer } from '../../db/entities';
import { newId } from '../../db/ids';
import { AppError, forbidden, notFound } from '../../domain/errors';
import { GATEWAY_ROLE } from '../../domain/roles';
import { grantsAccess } from '../../domain/subscription-status';
import { BYOK_ROLLUP_MARK, MAX_FUTURE_SKEW_MS, secondsUntil } from '../../domain/usage';
import type { Identity } from '../../domain/identity';
import { accessOf, cachedAccessFor, utcDay, type Access } from '../access/check-access';
import { byokKeysMemo, countersFor, type UsageCounters } from './counters';
import { placeholders, sqlFor, type Sql } from '../../db/raw-sql';

/** Types the engine accepts; admin-defined types would extend this list (see README, Usage). */

/** An event as the service takes it, whichever form it arrived in. */
export interface IncomingEvent {
  index: number;
  /** Null for seed 003's form, which has no idempotency key: the engine names the event. */
  eventId: string | null;
  type: string;
  quantity: number;
  timestamp: Date | null;
  metadata: Record<string, unknown>;
  byok: boolean;
  customerEmail: string | null;
  userId: string | null;
}

export interface EventRejection {
  index: number;
  id: string | null;
  reason: string;
  message: string;
}

export interface ReportOutcome {
  accepted: number;
  duplicate: number;
  rejected: number;
  rejected_events: EventRejection[];
  /** The caller's own daily quota after this report, when their plan has one. */
  quota: { limit: number; used_today: number; remaining_today: number; resets_at: string } | null;
}

interface Row {
  ev: IncomingEvent;
  customerId: string;
  eventId: string;
  occurredAt: Date;
  day: string;
  counted: boolean;
}

interface Target {
  customerId: string;
  access: Access;
  periodStart: Date | null;
  limit: number | null;
}

const EVENT_COLUMNS = 10;
// Ten bound values a row keeps each statement under SQLite's 32,766-variable limit.
const ROWS_PER_INSERT = 1000;

function periodStartOf(access: Access): Date | null {
  const sub = access.subscription;
  return sub?.currentPeriodStart ?? sub?.trialStart ?? sub?.createdAt ?? null;
}

function targetOf(access: Access): Target {
  return {
    customerId: access.customerId as string,
    access,
    periodStart: periodStartOf(access),
    limit: access.dailyApiCalls,
  };
}

/** `self` for the caller's own usage, else the customer reference the event names (`none`: no name). */
function targetKey(e: IncomingEvent, identity: Identity): string {
  // The gateway has no usage of its own: every event it sends is some customer's.
  if (identity.role === GATEWAY_ROLE) {
    if (e.customerEmail === null && e.userId === null) return 'none';
  } else {
    const own =
      (e.customerEmail === null || e.customerEmail === identity.email) &&
      (e.userId === null || e.userId === identity.sub);
    if (own) return 'self';
  }
  return `email:${e.customerEmail ?? ''}|user:${e.userId ?? ''}`;
}

/** Whose usage each event is: the caller's own, or (service accounts only) the named customer's. */
async function resolveTargets(
  em: EntityManager,
  counters: UsageCounters,
  identity: Identity,
  events: IncomingEvent[],
): Promise<Map<string, Target | null>> {
  const targets = new Map<string, Target | null>();
  const isService = identity.role === GATEWAY_ROLE;
  for (const e of events) {
    const key = targetKey(e, identity);
    if (targets.has(key)) continue;
    if (key === 'none') {
      targets.set(key, null);
      continue;
    }
    if (key === 'self') {
      const access = await cachedAccessFor(em, identity);
      if (!access.customerId) throw notFound('customer');
      targets.set(key, targetOf(access));
      continue;
    }
    if (!isService)
      throw forbidden(`Only the gateway (${GATEWAY_ROLE} role) reports usage for other customers`);
    const where = e.customerEmail
      ? { email: e.customerEmail }
      : { $or: [{ userId: e.userId! }, { id: e.userId! }] };
    const access = await counters.snapshot(`ref:${key}`, async () => {
      const customer = await em.findOne(Customer, where);
      return customer ? accessOf(em, customer) : null;
    });
    targets.set(key, access?.customerId ? targetOf(access) : null);
  }
  return targets;
}

/**
 * Stores a report_usage request: validated events go in with one multi-row INSERT … ON CONFLICT DO
 * NOTHING (the customer's event id is the idempotency key) and bump the `daily_usage` counters in the
 * same transaction. Good events of a batch are kept when others are rejected. Over a hard daily limit the
 * newest events of the request are taken back out in that transaction; when nothing was accepted for that
 * reason the caller gets 429 with Retry-After.
 */
export async function reportUsage(
  em: EntityManager,
  identity: Identity,
  incoming: { events: IncomingEvent[]; rejections: EventRejection[] },
): Promise<ReportOutcome> {
  const counters = countersFor(em);
  const now = new Date(counters.now());
  const { day: today, resetsAt } = utcDay(now);
  const rejections = [...incoming.rejections];
  const reject = (ev: IncomingEvent, id: string | null, reason: string, message: string) =>
    rejections.push({ index: ev.index, id, reason, message });

  const targets = await resolveTargets(em, counters, identity, incoming.events);
  const known = await usageTypes(em);
  const rows: Row[] = [];
  const seen = new Set<string>();
  let duplicate = 0;
  for (const ev of incoming.events) {
    const key = targetKey(ev, identity);
    const target = targets.get(key);
    if (!target) {
      const message =
        key === 'none'
          ? 'The gateway must name the customer (customer_email or user_id)'
          : 'No customer with that email or user id';
      reject(ev, ev.eventId, 'customer_not_found', message);
      continue;
    }
    if (!known.has(ev.type)) {
      reject(ev, ev.eventId, 'unknown_type', `Unknown usage type "${ev.type}"`);
      continue;
    }
    const sub = target.access.subscription;
    if (!sub || !grantsAccess(sub.status)) {
      reject(ev, ev.eventId, 'no_active_subscription', 'The customer has no subscription that grants usage');
      continue;
    }
    if (ev.byok) {
      const refusal = await byokRefusal(em, counters, target, ev);
      if (refusal) {
        reject(ev, ev.eventId, refusal.reason, refusal.message);
        continue;
      }
    }
    const at = ev.timestamp ?? now;
    if (at.getTime() > now.getTime() + MAX_FUTURE_SKEW_MS) {
      reject(ev, ev.eventId, 'timestamp_in_future', 'The timestamp is more than 5 minutes ahead');
      continue;
    }
    if (target.periodStart && at < target.periodStart) {
      reject(
        ev,
        ev.eventId,
        'before_billing_period',
        `The open billing period started at ${target.periodStart.toISOString()}`,
      );
      continue;
    }
    // Within the allowed clock skew a future timestamp is taken as now, so it lands in an open window.
    const occurredAt = at > now ? now : at;
    const eventId = ev.eventId ?? newId('uevt', now.getTime());
    const uniqueKey = `${target.customerId}\u0000${eventId}`;
    if (seen.has(uniqueKey)) {
      duplicate++;
      continue;
    }
    seen.add(uniqueKey);
    rows.push({
      ev,
      customerId: target.customerId,
      eventId,
      occurredAt,
      day: occurredAt.toISOString().slice(0, 10),
      counted: !ev.byok,
    });
  }

  const ownTarget = targets.get('self') ?? null;
  const sql = sqlFor(em);
  const totals = new Map<string, number>();
  let toStore = rows;

  // Over the limit already (as far as this process knows): find what is a replay without taking the
  // write lock, and refuse the rest.
  const exhausted = new Set<string>();
  for (const t of targets.values()) {
    if (t?.limit != null && (await counters.usedOn(em, t.customerId, today)) >= t.limit)
      exhausted.add(t.customerId);
  }
  if (exhausted.size > 0) {
    const blocked = rows.filter((r) => exhausted.has(r.customerId) && r.counted && r.day === today);
    const known = await existingEventIds(sql, blocked);
    const blockedSet = new Set(blocked);
    for (const r of blocked) {
      if (known.has(`${r.customerId}\u0000${r.eventId}`)) duplicate++;
      else
        reject(
          r.ev,
          r.eventId,
          'daily_quota_exceeded',
          `The daily limit is used up until ${resetsAt.toISOString()}`,
        );
    }
    toStore = rows.filter((r) => !blockedSet.has(r));
  }

  let accepted = 0;
  if (toStore.length > 0) {
    const result = await em.transactional(async (tem) => {
      const tsql = sqlFor(tem);
      await lockCappedDays(tsql, toStore, targets);
      const inserted = await insertEvents(tsql, toStore, now);
      const overflow = await applyCounters(tsql, inserted, today, targets);
      return { inserted, overflow };
    });
    for (const r of result.overflow.dropped)
      reject(
        r.ev,
        r.eventId,
        'daily_quota_exceeded',
        `The daily limit is used up until ${resetsAt.toISOString()}`,
      );
    accepted = result.inserted.length - result.overflow.dropped.length;
    duplicate += toStore.length - result.inserted.length;
    for (const [key, total] of result.overflow.totals) {
      const [customerId, day] = key.split('|') as [string, string];
      counters.set(customerId, day, total);
      if (day === today) totals.set(customerId, total);
    }
    for (const [key, delta] of result.overflow.uncheckedDeltas) {
      const [customerId, day] = key.split('|') as [string, string];
      counters.add(customerId, day, delta);
    }
  }

  rejections.sort((a, b) => a.index - b.index);
  let quota: ReportOutcome['quota'] = null;
  if (ownTarget?.limit != null) {
    const used = totals.get(ownTarget.customerId) ?? (await counters.usedOn(em, ownTarget.customerId, today));
    quota = {
      limit: ownTarget.limit,
      used_today: used,
      remaining_today: Math.max(0, ownTarget.limit - used),
      resets_at: resetsAt.toISOString(),
    };
  }
  const outcome: ReportOutcome = {
    accepted,
    duplicate,
    rejected: rejections.length,
    rejected_events: rejections,
    quota,
  };
  if (accepted === 0 && rejections.some((r) => r.reason === 'daily_quota_exceeded')) {
    throw new QuotaExceeded(outcome, secondsUntil(resetsAt, now), resetsAt);
  }
  return outcome;
}

/**
 * Why an event marked `byok` cannot be taken as made on the customer's own key: it goes unbilled, so it
 * needs a plan that includes BYOK and a key the customer stored (for the provider the event names, if any).
 */
async function byokRefusal(
  em: EntityManager,
  counters: UsageCounters,
  target: Target,
  ev: IncomingEvent,
): Promise<{ reason: string; message: string } | null> {
  if (!target.access.plan?.services.includes('byok')) {
    return { reason: 'byok_not_in_plan', message: 'The plan does not include bring-your-own-key usage' };
  }
  const providers = await counters.snapshot(byokKeysMemo(target.customerId), async () => {
    const rows = await sqlFor(em).run<{ provider: string }>(
      'select provider from provider_keys where customer_id = ?',
      [target.customerId],
    );
    return new Set(rows.map((r) => r.provider));
  });
  const named = typeof ev.metadata.provider === 'string' ? ev.metadata.provider : null;
  if (named ? !providers.has(named) : providers.size === 0) {
    return {
      reason: 'byok_key_not_stored',
      message: named ? `The customer has stored no ${named} key` : 'The customer has stored no provider key',
    };
  }
  return null;
}

/** 429 with the full outcome in details; the handler turns retryAfterSeconds into a Retry-After header. */
export class QuotaExceeded extends AppError {
  constructor(
    outcome: ReportOutcome,
    readonly retryAfterSeconds: number,
    resetsAt: Date,
  ) {
    super(
      'rate_limited',
      'daily_quota_exceeded',
      `The daily usage limit is reached; it resets at ${resetsAt.toISOString()}`,
      {
        ...outcome,
        resets_at: resetsAt.toISOString(),
        retry_after_seconds: retryAfterSeconds,
      },
    );
  }
}

/**
 * One writer at a time per capped customer and day. The counters are a row per type, so two requests
 * adding different types lock different rows and each re-reads a total without the other's uncommitted
 * units: together they could pass the cap. A transaction-scoped advisory lock, taken in a fixed order,
 * makes the second wait for the first to commit. SQLite has one writer already.
 */
async function lockCappedDays(sql: Sql, rows: Row[], targets: Map<string, Target | null>): Promise<void> {
  if (!sql.postgres) return;
  const capped = new Set<string>();
  for (const t of targets.values()) if (t?.limit != null) capped.add(t.customerId);
  const keys = [
    ...new Set(
      rows.filter((r) => r.counted && capped.has(r.customerId)).map((r) => `${r.customerId}|${r.day}`),
    ),
  ].sort();
  for (const key of keys) await sql.run('select pg_advisory_xact_lock(hashtext(?))', [`daily_usage:${key}`]);
}

async function existingEventIds(sql: Sql, rows: Row[]): Promise<Set<string>> {
  const found = new Set<string>();
  for (let i = 0; i < rows.length; i += ROWS_PER_INSERT) {
    const chunk = rows.slice(i, i + ROWS_PER_INSERT);
    if (chunk.length === 0) continue;
    const got = await sql.run<{ customer_id: string; event_id: string }>(
      `select customer_id, event_id from usage_events where ${chunk.map(() => '(customer_id = ? and event_id = ?)').join(' or ')}`,
      chunk.flatMap((r) => [r.customerId, r.eventId]),
    );
    for (const g of got) found.add(`${g.customer_id}\u0000${g.event_id}`);
  }
  return found;
}

/** The rows that were new (the others were already stored under the same customer and event id). */
async function insertEvents(sql: Sql, rows: Row[], now: Date): Promise<Row[]> {
  const receivedAt = sql.date(now);
  const yes = sql.bool(true);
  const no = sql.bool(false);
  const inserted: Row[] = [];
  for (let i = 0; i < rows.length; i += ROWS_PER_INSERT) {
    const chunk = rows.slice(i, i + ROWS_PER_INSERT);
    const params: unknown[] = [];
    const byKey = new Map<string, Row>();
    for (const r of chunk) {
      byKey.set(`${r.customerId}\u0000${r.eventId}`, r);
      params.push(
        newId('uev', now.getTime()),
        r.customerId,
        r.eventId,
        r.ev.type,
        r.ev.quantity,
        sql.date(r.occurredAt),
        receivedAt,
        JSON.stringify(r.ev.metadata),
        r.counted ? no : yes,
        r.counted ? null : BYOK_ROLLUP_MARK,
      );
    }
    const got = await sql.run<{ customer_id: string; event_id: string }>(
      `insert into usage_events (id, customer_id, event_id, type, quantity, occurred_at, received_at, metadata, byok, rollup_id)
       values ${placeholders(chunk.length, EVENT_COLUMNS)}
       on conflict (customer_id, event_id) do nothing returning customer_id, event_id`,
      params,
    );
    for (const g of got) {
      const row = byKey.get(`${g.customer_id}\u0000${g.event_id}`);
      // A stored id that differs from the one sent (a driver re-encoding text) would be stored yet
      // counted as a duplicate; refuse the whole write rather than answer what was not stored.
      if (!row) throw new Error(`usage event id changed on its way into the database: ${JSON.stringify(g)}`);
      inserted.push(row);
    }
  }
  // RETURNING order is not promised; request order decides which events a full quota drops.
  inserted.sort((a, b) => a.ev.index - b.ev.index);
  return inserted;
}

/**
 * Bumps daily_usage for the new, counted events; then, for customers with a daily limit, re-reads each
 * touched day's total in this transaction and takes the newest events back out while it is over the limit.
 * Totals are keyed `<customerId>|<day>`.
 */
async function applyCounters(
  sql: Sql,
  inserted: Row[],
  today: string,
  targets: Map<string, Target | null>,
): Promise<{ dropped: Row[]; totals: Map<string, number>; uncheckedDeltas: Map<string, number> }> {
  const deltas = new Map<string, { customerId: string; day: string; type: string; n: number }>();
  for (const r of inserted) {
    if (!r.counted) continue;
    const key = `${r.customerId}|${r.day}|${r.ev.type}`;
    const d = deltas.get(key) ?? { customerId: r.customerId, day: r.day, type: r.ev.type, n: 0 };
    d.n += r.ev.quantity;
    deltas.set(key, d);
  }
  const list = [...deltas.values()];
  for (let i = 0; i < list.length; i += ROWS_PER_INSERT) {
    const chunk = list.slice(i, i + ROWS_PER_INSERT);
    await sql.run(
      `insert into daily_usage (customer_id, day, type, quantity) values ${placeholders(chunk.length, 4)}
       on conflict (customer_id, day, type) do update set quantity = daily_usage.quantity + excluded.quantity`,
      chunk.flatMap((d) => [d.customerId, d.day, d.type, d.n]),
    );
  }

  const limits = new Map<string, number>();
  for (const t of targets.values()) if (t?.limit != null) limits.set(t.customerId, t.limit);
  const totals = new Map<string, number>();
  const dropped: Row[] = [];
  const uncheckedDeltas = new Map<string, number>();
  // The cap holds for every UTC day an event lands on, not only today: a backdated event counts
  // against the day it happened.
  const touchedDays = new Map<string, { customerId: string; day: string }>();
  for (const r of inserted) {
    if (r.counted && limits.has(r.customerId))
      touchedDays.set(`${r.customerId}|${r.day}`, { customerId: r.customerId, day: r.day });
  }
  for (const [key, { customerId, day }] of touchedDays) {
    const limit = limits.get(customerId) as number;
    const rows = await sql.run<{ n: number | string | null }>(
      'select sum(quantity) as n from daily_usage where customer_id = ? and day = ?',
      [customerId, day],
    );
    let total = Number(rows[0]?.n ?? 0);
    if (total > limit) {
      const candidates = inserted.filter((r) => r.customerId === customerId && r.counted && r.day === day);
      const drop: Row[] = [];
      for (let i = candidates.length - 1; i >= 0 && total > limit; i--) {
        const r = candidates[i] as Row;
        drop.push(r);
        total -= r.ev.quantity;
      }
      await dropEvents(sql, customerId, day, drop);
      dropped.push(...drop);
    }
    totals.set(key, total);
  }
  for (const d of list) {
    if (limits.has(d.customerId)) continue;
    const key = `${d.customerId}|${d.day}`;
    uncheckedDeltas.set(key, (uncheckedDeltas.get(key) ?? 0) + d.n);
  }
  return { dropped, totals, uncheckedDeltas };
}

async function dropEvents(sql: Sql, customerId: string, day: string, rows: Row[]): Promise<void> {
  const byType = new Map<string, number>();
  for (const r of rows) byType.set(r.ev.type, (byType.get(r.ev.type) ?? 0) + r.ev.quantity);
  for (let i = 0; i < rows.length; i += ROWS_PER_INSERT) {
    const chunk = rows.slice(i, i + ROWS_PER_INSERT);
    await sql.run(
      `delete from usage_events where customer_id = ? and event_id in (${chunk.map(() => '?').join(', ')})`,
      [customerId, ...chunk.map((r) => r.eventId)],
    );
  }
  for (const [type, n] of byType) {
    await sql.run(
      'update daily_usage set quantity = quantity - ? where customer_id = ? and day = ? and type = ?',
      [n, customerId, day, type],
    );
  }
}
