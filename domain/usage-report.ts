import { accountNamed, type AccountRef, type NamedAccount } from './access';
import type { CreditTerms, UsageRefusal } from './credit-usage';
import { subjectWindowKeys, type SubjectBudget } from './subject-budgets';
import type { Identity } from './identity';
import { GATEWAY_ROLE, type Principal } from './roles';
import { MAX_FUTURE_SKEW_MS, secondsUntil, utcDay } from './usage';

/**
 * The namespaces a reported event id lives in. An event id is an idempotency key only among the reports of
 * one reporter: the gateway (every replica and service account holding the gateway role, so a retry from
 * another replica is still a duplicate) or the customer reporting for themself. Otherwise a customer, who
 * sees the gateway's ids in their usage records, could report the gateway's next ids first and have its
 * real, billable events answered `duplicate`.
 */
export const USAGE_REPORTERS = ['gateway', 'self'] as const;
export type UsageReporter = (typeof USAGE_REPORTERS)[number];

/**
 * Whose namespace a caller reports in. Only the gateway reports for other customers (report_usage refuses
 * anyone else naming one), so a person, whatever their rung (an admin too), reports only their own usage.
 */
export function usageReporterOf(principal: Principal): UsageReporter {
  return principal === GATEWAY_ROLE ? 'gateway' : 'self';
}

/** An event of a usage report, whichever form it arrived in. */
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
  /** What inside the account the usage was for (a project, key or end user); null for the account. */
  subject?: string | null;
}

export interface EventRejection {
  index: number;
  id: string | null;
  reason: string;
  message: string;
}

/** One event of a report, validated and ready to store. */
export interface UsageEntry {
  /** Its place in the request: a full quota drops the newest (highest) first. */
  index: number;
  customerId: string;
  eventId: string;
  /** The namespace eventId is unique in: the same id from the gateway and from the customer is two events. */
  reporter: UsageReporter;
  type: string;
  quantity: number;
  /** The event's metadata as JSON text. */
  metadata: string;
  occurredAt: Date;
  /** The UTC day of occurredAt, 'YYYY-MM-DD'. */
  day: string;
  /** False for BYOK usage: stored, never counted against credits or the daily cap. */
  counted: boolean;
  /** BYOK usage the plan's rate card prices (a platform fee): rolled up and billed though not counted. */
  billedByok?: boolean;
  /** The subject the event named, and its period counter's key (domain/subject-budgets.ts). */
  subject?: string;
  subjectPeriodKey?: string | null;
}

/**
 * An event's idempotency key as one string: customer, reporter and event id, which the unique key of
 * usage_events holds. Every in-memory check of "the same event" uses it, so two reporters' events with one
 * id are two events everywhere, as in the database. The id comes last, so whatever it holds cannot blur
 * the parts before it.
 */
export const usageEventKey = (r: { customerId: string; reporter: string; eventId: string }): string =>
  `${r.customerId}\u0000${r.reporter}\u0000${r.eventId}`;

/** What a report's load needs to know before reading anything: see planReport. */
export interface ReportPlan {
  reporter: UsageReporter;
  /** Today's UTC day and when it ends. */
  today: string;
  resetsAt: Date;
  /** Each event's target key, by position: `self`, `none` (the gateway named no one), or the reference. */
  eventTargets: string[];
  /**
   * Each target once, in the order first named: whose it is, how to look it up, whether BYOK keys matter,
   * and whether an event names a subject (its budgets matter).
   */
  targets: Map<string, { whose: NamedAccount; ref: AccountRef; byok: boolean; subjects: boolean }>;
}

/**
 * Whose usage each event of a report is, and the report's day and reporter: the caller's own (a person
 * naming themself, or no one), or for the gateway the customer each names.
 */
export function planReport(
  caller: Pick<Identity, 'role' | 'email' | 'sub'>,
  events: readonly IncomingEvent[],
  now: Date,
): ReportPlan {
  const { day: today, resetsAt } = utcDay(now);
  const whoseRef = new Map<string, NamedAccount>();
  const plan: ReportPlan = {
    reporter: usageReporterOf(caller.role),
    today,
    resetsAt,
    eventTargets: [],
    targets: new Map(),
  };
  for (const e of events) {
    const ref = { email: e.customerEmail, userId: e.userId };
    const refKey = `email:${e.customerEmail ?? ''}|user:${e.userId ?? ''}`;
    let whose = whoseRef.get(refKey);
    if (whose === undefined) {
      whose = accountNamed(caller, ref);
      whoseRef.set(refKey, whose);
    }
    const key = whose === 'self' ? 'self' : whose === 'unnamed' ? 'none' : refKey;
    plan.eventTargets.push(key);
    const seen = plan.targets.get(key);
    const subjects = !!e.subject;
    if (seen) {
      seen.byok ||= e.byok;
      seen.subjects ||= subjects;
    } else plan.targets.set(key, { whose, ref, byok: e.byok, subjects });
  }
  return plan;
}

/** A customer whose usage a report carries, as the report's load found them. */
export interface UsageTarget {
  customerId: string;
  /** Whether their subscription (if any) grants usage now. */
  grantsUsage: boolean;
  /** The open billing period's start: older events belong to a closed period. */
  periodStart: Date | null;
  /** When it ends (a period budget resets then); null when unknown. */
  periodEnd?: Date | null;
  /** The budgets the customer set, by subject (read only when an event of the report names a subject). */
  budgets?: ReadonlyMap<string, SubjectBudget>;
  /** The plan's cap on units per UTC day; null for none. */
  dailyLimit: number | null;
  byokInPlan: boolean;
  /** Whether the plan's rate card prices BYOK usage (domain/rate-card.ts pricesByok). */
  byokPriced?: boolean;
  /** The providers they stored a key for (read only for a BYOK event on a plan with BYOK). */
  byokProviders: ReadonlySet<string>;
  /** Units counted today before this report (read only under a daily cap). */
  usedToday: number;
  /**
   * How their usage is paid for when credits or a cap can refuse or pay it (see creditTermsOf); null: it is
   * counted and billed as overage.
   */
  credit: CreditTerms | null;
}

/** Everything a report is decided on, loaded once. */
export interface ReportContext {
  reporter: UsageReporter;
  now: Date;
  /** Today's UTC day and when it ends. */
  today: string;
  resetsAt: Date;
  /** Each event's target key, by position (see planReport). */
  eventTargets: readonly string[];
  /** By target key; null: no such customer (or the gateway named none). */
  targets: ReadonlyMap<string, UsageTarget | null>;
  knownTypes: ReadonlySet<string>;
}

export interface ReportDecision {
  rejections: EventRejection[];
  /** New-looking events to store. */
  toStore: UsageEntry[];
  /** usageEventKey of each toStore entry, by position: the ledger groups and orders its writes by them. */
  toStoreKeys: string[];
  /**
   * Events of customers whose day was full before this report: a stored one is a duplicate (a replay
   * costs nothing), any other is refused without taking the write lock.
   */
  overCap: UsageEntry[];
  /** Later copies of an event already in this report: duplicates only if the first copy is kept. */
  repeats: { index: number; eventId: string; key: string }[];
}

/** Why a BYOK event cannot be taken as made on the customer's own key (it goes unbilled), if it cannot. */
function byokRefusal(target: UsageTarget, ev: IncomingEvent): { reason: string; message: string } | null {
  if (!target.byokInPlan) {
    return { reason: 'byok_not_in_plan', message: 'The plan does not include bring-your-own-key usage' };
  }
  const named = typeof ev.metadata.provider === 'string' ? ev.metadata.provider : null;
  if (named ? !target.byokProviders.has(named) : target.byokProviders.size === 0) {
    return {
      reason: 'byok_key_not_stored',
      message: named ? `The customer has stored no ${named} key` : 'The customer has stored no provider key',
    };
  }
  return null;
}

/** Why one event is refused, in the order the rules are checked; null when it may be stored. */
function refusalOf(
  ctx: ReportContext,
  ev: IncomingEvent,
  key: string,
  target: UsageTarget | null | undefined,
): { reason: string; message: string } | null {
  if (!target) {
    const message =
      key === 'none'
        ? 'The gateway must name the customer (customer_email or user_id)'
        : 'No customer with that email or user id';
    return { reason: 'customer_not_found', message };
  }
  if (!ctx.knownTypes.has(ev.type))
    return { reason: 'unknown_type', message: `Unknown usage type "${ev.type}"` };
  if (!target.grantsUsage) {
    return {
      reason: 'no_active_subscription',
      message: 'The customer has no subscription that grants usage',
    };
  }
  const byok = ev.byok ? byokRefusal(target, ev) : null;
  if (byok) return byok;
  const at = ev.timestamp ?? ctx.now;
  if (at.getTime() > ctx.now.getTime() + MAX_FUTURE_SKEW_MS) {
    return { reason: 'timestamp_in_future', message: 'The timestamp is more than 5 minutes ahead' };
  }
  if (target.periodStart && at < target.periodStart) {
    return {
      reason: 'before_billing_period',
      message: `The open billing period started at ${target.periodStart.toISOString()}`,
    };
  }
  return null;
}

/**
 * Which events of a report are refused (and why), which repeat an earlier one of the same report, and
 * which go to the ledger. `mintId` names an event that came without an id. A customer whose day was full
 * before the report has its counted events for today set apart (overCap): whether each is a replay is
 * the ledger's to say.
 */
export function decideReport(
  ctx: ReportContext,
  events: readonly IncomingEvent[],
  mintId: () => string,
): ReportDecision {
  const decision: ReportDecision = { rejections: [], toStore: [], toStoreKeys: [], overCap: [], repeats: [] };
  const seen = new Set<string>();
  for (const [position, ev] of events.entries()) {
    const key = ctx.eventTargets[position] as string;
    const target = ctx.targets.get(key);
    const refusal = refusalOf(ctx, ev, key, target);
    if (refusal || !target) {
      decision.rejections.push({
        index: ev.index,
        id: ev.eventId,
        ...(refusal as NonNullable<typeof refusal>),
      });
      continue;
    }
    const at = ev.timestamp ?? ctx.now;
    // Within the allowed clock skew a future timestamp is taken as now, so it lands in an open window.
    const occurredAt = at > ctx.now ? ctx.now : at;
    const eventId = ev.eventId ?? mintId();
    const entry: UsageEntry = {
      index: ev.index,
      customerId: target.customerId,
      eventId,
      reporter: ctx.reporter,
      type: ev.type,
      quantity: ev.quantity,
      metadata: JSON.stringify(ev.metadata),
      occurredAt,
      day: occurredAt.toISOString().slice(0, 10),
      counted: !ev.byok,
      ...(ev.byok && target.byokPriced ? { billedByok: true } : {}),
      ...(ev.subject
        ? { subject: ev.subject, subjectPeriodKey: subjectWindowKeys(occurredAt, target.periodStart).period }
        : {}),
    };
    const uniqueKey = usageEventKey(entry);
    if (seen.has(uniqueKey)) {
      decision.repeats.push({ index: ev.index, eventId, key: uniqueKey });
      continue;
    }
    seen.add(uniqueKey);
    const full = target.dailyLimit !== null && target.usedToday >= target.dailyLimit;
    if (full && entry.counted && entry.day === ctx.today) decision.overCap.push(entry);
    else {
      decision.toStore.push(entry);
      decision.toStoreKeys.push(uniqueKey);
    }
  }
  return decision;
}

/** A report's answer: how many events were taken, were already stored, or were refused, and why. */
export interface ReportOutcome {
  accepted: number;
  duplicate: number;
  rejected: number;
  rejectedEvents: EventRejection[];
  /** The caller's own daily quota after this report, when their plan has one. */
  quota: { limit: number; usedToday: number; remainingToday: number; resetsAt: Date } | null;
}

/** Why the ledger took a new event back out: the credit ledger's refusals, or the subject's budget. */
export type LedgerRefusal = UsageRefusal | 'budget_reached';

/**
 * Why a report was refused whole: its daily quota, its spend cap, a prepaid-only balance at zero, or the
 * budget of the subject it named.
 */
export type ReportRefusal = 'daily_quota_exceeded' | LedgerRefusal;

export interface ReportSettlement {
  outcome: ReportOutcome;
  /**
   * Set when a limit refused events and nothing was accepted: the report as a whole is rate_limited, for
   * this reason, until resetsAt.
   */
  refusedWhole: { reason: ReportRefusal; resetsAt: Date; retryAfterSeconds: number } | null;
}

/** Why the ledger refused an event, in the answer's words. */
const LEDGER_REFUSALS: Record<LedgerRefusal, string> = {
  spend_cap_reached: 'The spend cap of this billing period is reached',
  credits_exhausted: 'The prepaid credits are used up and the plan bills no overage',
  budget_reached: "The subject's budget is used up",
};

/**
 * The report's answer once the ledger has spoken: `storedOverCap` are the keys of overCap events already
 * stored; `written` what the ledger did with toStore (null when nothing was sent), `dropped` the events it
 * took back out at the cap; `ownQuota` the caller's own cap and today's total after the write.
 */
export function settleReport(input: {
  ctx: Pick<ReportContext, 'now' | 'resetsAt'>;
  decision: ReportDecision;
  earlier: readonly EventRejection[];
  storedOverCap: ReadonlySet<string>;
  written: {
    inserted: number;
    dropped: readonly UsageEntry[];
    /** New events the credit ledger refused (taken back out), with why and when their period resets. */
    refused: readonly { entry: UsageEntry; reason: LedgerRefusal; resetsAt: Date }[];
  } | null;
  ownQuota: { limit: number; usedToday: number } | null;
}): ReportSettlement {
  const { ctx, decision, written, ownQuota } = input;
  const rejections = [...input.earlier, ...decision.rejections];
  const quotaRefusal = (r: { index: number; eventId: string }): EventRejection => ({
    index: r.index,
    id: r.eventId,
    reason: 'daily_quota_exceeded',
    message: `The daily limit is used up until ${ctx.resetsAt.toISOString()}`,
  });
  // Each event a limit refused, by its key: a later copy of it in the report is refused alike.
  const refusedAtCap = new Map<string, EventRejection>();
  const refuse = (key: string, rejection: EventRejection) => {
    refusedAtCap.set(key, rejection);
    rejections.push(rejection);
  };
  let duplicate = 0;
  for (const r of decision.overCap) {
    if (input.storedOverCap.has(usageEventKey(r))) duplicate++;
    else refuse(usageEventKey(r), quotaRefusal(r));
  }
  let accepted = 0;
  if (written) {
    for (const r of written.dropped) refuse(usageEventKey(r), quotaRefusal(r));
    for (const r of written.refused) {
      refuse(usageEventKey(r.entry), {
        index: r.entry.index,
        id: r.entry.eventId,
        reason: r.reason,
        message: `${LEDGER_REFUSALS[r.reason]} until ${r.resetsAt.toISOString()}`,
      });
    }
    accepted = written.inserted - written.dropped.length - written.refused.length;
    duplicate += decision.toStore.length - written.inserted;
  }
  // A copy of an event a limit refused was not stored either: answering it `duplicate` would claim it was.
  for (const r of decision.repeats) {
    const first = refusedAtCap.get(r.key);
    if (first) rejections.push({ ...first, index: r.index });
    else duplicate++;
  }
  rejections.sort((a, b) => a.index - b.index);
  const outcome: ReportOutcome = {
    accepted,
    duplicate,
    rejected: rejections.length,
    rejectedEvents: rejections,
    quota: ownQuota && {
      limit: ownQuota.limit,
      usedToday: ownQuota.usedToday,
      remainingToday: Math.max(0, ownQuota.limit - ownQuota.usedToday),
      resetsAt: ctx.resetsAt,
    },
  };
  if (accepted > 0) return { outcome, refusedWhole: null };
  if (rejections.some((r) => r.reason === 'daily_quota_exceeded')) {
    const retryAfterSeconds = secondsUntil(ctx.resetsAt, ctx.now);
    return {
      outcome,
      refusedWhole: { reason: 'daily_quota_exceeded', resetsAt: ctx.resetsAt, retryAfterSeconds },
    };
  }
  const byCredit = written?.refused[0];
  if (!byCredit) return { outcome, refusedWhole: null };
  return {
    outcome,
    refusedWhole: {
      reason: byCredit.reason,
      resetsAt: byCredit.resetsAt,
      retryAfterSeconds: secondsUntil(byCredit.resetsAt, ctx.now),
    },
  };
}
