import { usageTypes } from './usage-types';
import type { EntityManager } from '@mikro-orm/core';
import { customerByRef } from '../../db/customer-reads';
import { newId } from '../../db/ids';
import { AppError, forbidden, notFound } from '../../domain/errors';
import { GATEWAY_ROLE } from '../../domain/roles';
import { grantsAccess } from '../../domain/subscription-status';
import { MAX_FUTURE_SKEW_MS, secondsUntil, usageReporterOf } from '../../domain/usage';
import type { Identity } from '../../domain/identity';
import { accessOf, cachedAccessFor, utcDay, type Access } from '../access/check-access';
import { byokKeysMemo, countersFor, type UsageCounters } from './counters';
import { sqlFor, type Sql } from '../../db/raw-sql';
import { usageEventKey, type LedgerRow } from './ledger-write';
import { ledgerWriterFor } from './ledger-writer';

/** An event as the service takes it, whichever form it arrived in. */
export interface IncomingEvent {
  index: number;
  /** Null for the older single-event form (a bare quantity): no idempotency key, the engine names it. */
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

interface Target {
  customerId: string;
  access: Access;
  periodStart: Date | null;
  limit: number | null;
}

// Three bound values a row keep each lookup far under SQLite's 32,766-variable limit.
const ROWS_PER_LOOKUP = 1000;

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
    const ref = e.customerEmail ? { email: e.customerEmail } : { userId: e.userId! };
    const access = await counters.snapshot(`ref:${key}`, async () => {
      const customer = await customerByRef(em, ref);
      return customer ? accessOf(em, customer.id) : null;
    });
    targets.set(key, access?.customerId ? targetOf(access) : null);
  }
  return targets;
}

/**
 * Stores a report_usage request: validated events go in with a multi-row INSERT … ON CONFLICT DO NOTHING
 * (the event id is the idempotency key among the reports of one customer by one reporter, the gateway or
 * the customer themself: see usageReporterOf) and bump the `daily_usage` counters in the same
 * transaction, which concurrent requests share (group commit, see ledger-writer.ts); the answer waits for
 * its commit. Good events of a batch are kept when others are rejected. Over a hard daily limit the newest
 * events of the request are taken back out in that transaction; when nothing was accepted for that reason
 * the caller gets 429 with Retry-After.
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
  const reject = (ev: { index: number }, id: string | null, reason: string, message: string) =>
    rejections.push({ index: ev.index, id, reason, message });

  const reporter = usageReporterOf(identity.role);
  const targets = await resolveTargets(em, counters, identity, incoming.events);
  const known = await usageTypes(em);
  const rows: LedgerRow[] = [];
  const seen = new Set<string>();
  // Later copies of an event already in this request: duplicates only if the first copy is kept.
  const repeats: { ev: IncomingEvent; eventId: string; key: string }[] = [];
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
    const uniqueKey = usageEventKey({ customerId: target.customerId, reporter, eventId });
    if (seen.has(uniqueKey)) {
      repeats.push({ ev, eventId, key: uniqueKey });
      continue;
    }
    seen.add(uniqueKey);
    rows.push({
      index: ev.index,
      customerId: target.customerId,
      eventId,
      reporter,
      type: ev.type,
      quantity: ev.quantity,
      metadata: JSON.stringify(ev.metadata),
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
  const overCap = new Set<string>();
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
      if (known.has(usageEventKey(r))) duplicate++;
      else {
        overCap.add(usageEventKey(r));
        reject(
          r,
          r.eventId,
          'daily_quota_exceeded',
          `The daily limit is used up until ${resetsAt.toISOString()}`,
        );
      }
    }
    toStore = rows.filter((r) => !blockedSet.has(r));
  }

  let accepted = 0;
  if (toStore.length > 0) {
    const limits = new Map<string, number>();
    for (const t of targets.values()) if (t?.limit != null) limits.set(t.customerId, t.limit);
    // Answered once the group of concurrent reports this one joins has committed.
    const result = await ledgerWriterFor(em).submit({ rows: toStore, limits, receivedAt: now });
    for (const r of result.dropped) {
      overCap.add(usageEventKey(r));
      reject(
        r,
        r.eventId,
        'daily_quota_exceeded',
        `The daily limit is used up until ${resetsAt.toISOString()}`,
      );
    }
    accepted = result.inserted.length - result.dropped.length;
    duplicate += toStore.length - result.inserted.length;
    for (const [key, total] of result.totals) {
      const [customerId, day] = key.split('|') as [string, string];
      counters.set(customerId, day, total);
      if (day === today) totals.set(customerId, total);
    }
    for (const [key, delta] of result.uncheckedDeltas) {
      const [customerId, day] = key.split('|') as [string, string];
      counters.add(customerId, day, delta);
    }
  }

  // A copy of an event the cap refused was not stored either: answering it `duplicate` would claim it was.
  for (const r of repeats) {
    if (overCap.has(r.key))
      reject(
        r.ev,
        r.eventId,
        'daily_quota_exceeded',
        `The daily limit is used up until ${resetsAt.toISOString()}`,
      );
    else duplicate++;
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
    const rows = await sqlFor(em).read<{ provider: string }>(
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

async function existingEventIds(sql: Sql, rows: LedgerRow[]): Promise<Set<string>> {
  const found = new Set<string>();
  for (let i = 0; i < rows.length; i += ROWS_PER_LOOKUP) {
    const chunk = rows.slice(i, i + ROWS_PER_LOOKUP);
    if (chunk.length === 0) continue;
    const got = await sql.run<{ customer_id: string; event_id: string; reporter: string }>(
      `select customer_id, event_id, reporter from usage_events where ${chunk.map(() => '(event_id = ? and customer_id = ? and reporter = ?)').join(' or ')}`,
      chunk.flatMap((r) => [r.eventId, r.customerId, r.reporter]),
    );
    for (const g of got)
      found.add(usageEventKey({ customerId: g.customer_id, reporter: g.reporter, eventId: g.event_id }));
  }
  return found;
}
