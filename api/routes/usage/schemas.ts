import { z } from 'zod';
import { AppError } from '../../../domain/errors';
import {
  MAX_EVENTS_PER_REQUEST,
  MAX_QUANTITY_PER_EVENT,
  MAX_QUANTITY_PER_REQUEST,
  USAGE_TYPE_PATTERN,
} from '../../../domain/usage';
import { USAGE_REPORTERS } from '../../../domain/usage-report';
import { SUBJECT_PATTERN } from '../../../domain/subject-budgets';
import { tokenCountsProblem } from '../../../domain/model-costs/costs';
import { guardInput, InputRejected } from '../../validation/untrusted-input';
import { validationFailed } from '../../errors';
import { cents, count, currencyCode, dollars, timestamp } from '../response-types';
import { identifierText } from '../../validation/text-fields';
import { plainEvent } from './plain-event';
import type { EventRejection, IncomingEvent } from '../../../services/usage/report-usage';

/** Metadata is stored with every event: kept small so a batch cannot bloat the ledger. */
export const MAX_METADATA_CHARS = 4096;
const metadata = z
  .record(z.string(), z.unknown())
  .refine((m) => JSON.stringify(m).length <= MAX_METADATA_CHARS, {
    message: `must serialize to at most ${MAX_METADATA_CHARS} characters of JSON`,
  })
  // Token counts by kind are what the provider cost catalogue costs (docs/margins.md): held to shape here,
  // so a report never meets a count it cannot add.
  .superRefine((m, ctx) => {
    if (!('tokens' in m)) return;
    const problem = tokenCountsProblem(m.tokens, MAX_QUANTITY_PER_EVENT);
    if (problem) ctx.addIssue({ code: 'custom', path: ['tokens'], message: problem });
  });
const customerRef = {
  /** The gateway (billing-gateway role) reports for a customer by email or identity-provider id. */
  customer_email: z.email().max(320).optional(),
  user_id: identifierText(200).optional(),
};
/** A subject of the customer's usage, as budgets name it (domain/subject-budgets.ts). */
export const subjectText = z
  .string()
  .regex(SUBJECT_PATTERN, 'must be 1 to 100 letters, digits or ._:@+- characters');
const quantity = z.number().int('must be a whole number of units').min(1).max(MAX_QUANTITY_PER_EVENT);

/**
 * One usage event: `id` is the caller's idempotency key for the event (a repeat is acknowledged as a
 * duplicate and counted once), `type` a usage type the engine knows, `timestamp` when it happened (now if
 * absent), `customer_email` or `user_id` the customer the gateway reports for.
 */
export const usageEvent = z
  .object({
    id: identifierText(200),
    type: z.string().regex(USAGE_TYPE_PATTERN, 'must be a lower-case usage type name'),
    quantity,
    timestamp: z.iso.datetime({ offset: true }).optional(),
    metadata: metadata.optional(),
    /** Ran on the customer's own provider key (also accepted as metadata.byok). */
    byok: z.boolean().optional(),
    /** What inside the account it was for (a project, key or end user): held to that subject's budget. */
    subject: subjectText.optional(),
    ...customerRef,
  })
  .strict();

/**
 * The older single-event form, still accepted: a bare quantity of API calls with no event id or type;
 * metadata may arrive as a JSON string.
 */
export const legacyUsageEvent = z
  .object({
    quantity,
    subscription_item_id: identifierText(200).optional(),
    metadata: z.union([metadata, z.string().max(MAX_METADATA_CHARS)]).optional(),
    ...customerRef,
  })
  .strict();

export const usageBatch = z
  .object({ events: z.array(z.unknown()).min(1).max(MAX_EVENTS_PER_REQUEST), ...customerRef })
  .strict();

/** The route accepts any JSON object; the service tells a batch from one event and checks each. */
export const reportUsageBody = z.record(z.string(), z.unknown());

export const usageRecordsQuery = z
  .object({
    limit: z.coerce.number().int().min(1).max(200).default(50),
    cursor: z.string().max(512).optional(),
    type: z.string().regex(USAGE_TYPE_PATTERN).optional(),
  })
  .strict();

export const emailParams = z.object({ email: z.email().max(320) }).strict();

export const resetUsageBody = z.object({ reason: z.string().max(500).optional() }).strict();

export const usageStatsQuery = z
  .object({
    days: z.coerce.number().int().min(1).max(90).default(30),
    top: z.coerce.number().int().min(1).max(100).default(10),
  })
  .strict();

/** The older form's metadata as a JSON string: an object, held to the same rules as metadata sent as JSON. */
function parseMetadataString(text: string): Record<string, unknown> | null {
  try {
    const value: unknown = JSON.parse(text);
    if (!value || typeof value !== 'object' || Array.isArray(value)) return null;
    return guardInput(value, 'metadata') as Record<string, unknown>;
  } catch {
    return null;
  }
}

type Parsed = { ok: true; event: IncomingEvent } | { ok: false; issues: z.core.$ZodIssue[] };

/** One event as the schema reads it (plainEvent takes the common form without it). */
export function parseOne(
  input: unknown,
  index: number,
  defaults: { email?: string; userId?: string },
  field: string,
): Parsed {
  let raw: unknown;
  try {
    raw = guardInput(input, field);
  } catch (err) {
    if (!(err instanceof InputRejected)) throw err;
    const path = err.field.split('.').slice(field.split('.').length);
    return {
      ok: false,
      issues: [{ code: 'custom', path, message: err.message.replace(/^[^:]*: /, ''), input }],
    };
  }
  const isLegacy =
    raw !== null && typeof raw === 'object' && !('id' in raw) && !('type' in raw) && 'quantity' in raw;
  if (isLegacy) {
    const r = legacyUsageEvent.safeParse(raw);
    if (!r.success) return { ok: false, issues: r.error.issues };
    const meta = typeof r.data.metadata === 'string' ? parseMetadataString(r.data.metadata) : r.data.metadata;
    if (meta === null) {
      return {
        ok: false,
        issues: [
          {
            code: 'custom',
            path: ['metadata'],
            message: 'must be a JSON object of well-formed text',
            input: raw,
          },
        ],
      };
    }
    const metadata = { ...(meta ?? {}) };
    if (r.data.subscription_item_id) metadata.subscription_item_id = r.data.subscription_item_id;
    return {
      ok: true,
      event: {
        index,
        eventId: null,
        // The older form meters one thing, API calls: they count as inference.
        type: 'inference',
        quantity: r.data.quantity,
        timestamp: null,
        metadata,
        byok: metadata.byok === true,
        customerEmail: r.data.customer_email ?? defaults.email ?? null,
        userId: r.data.user_id ?? defaults.userId ?? null,
      },
    };
  }
  const r = usageEvent.safeParse(raw);
  if (!r.success) return { ok: false, issues: r.error.issues };
  const metadata = r.data.metadata ?? {};
  return {
    ok: true,
    event: {
      index,
      eventId: r.data.id,
      type: r.data.type,
      quantity: r.data.quantity,
      timestamp: r.data.timestamp ? new Date(r.data.timestamp) : null,
      metadata,
      byok: r.data.byok === true || metadata.byok === true,
      customerEmail: r.data.customer_email?.toLowerCase() ?? defaults.email ?? null,
      userId: r.data.user_id ?? defaults.userId ?? null,
      subject: r.data.subject ?? null,
    },
  };
}

/**
 * Tells a batch (`{"events": […]}`) from one event. One event that does not validate is a 400 naming the
 * field; in a batch each bad event is rejected on its own (by index) and the good ones are kept.
 */
export function parseReport(body: Record<string, unknown>): {
  events: IncomingEvent[];
  rejections: EventRejection[];
} {
  if (!('events' in body)) {
    const plain = plainEvent(body, 0, {});
    if (plain) return { events: [plain], rejections: [] };
    // One event alone is refused whole, with the reason the edge guard gives.
    const one = parseOne(guardInput(body, 'body'), 0, {}, 'body');
    if (!one.ok) throw validationFailed(one.issues, 'body');
    return { events: [one.event], rejections: [] };
  }
  const { events: list, ...shared } = body;
  const batch = usageBatch.safeParse({ ...(guardInput(shared, 'body') as object), events: list });
  if (!batch.success) throw validationFailed(batch.error.issues, 'body');
  const defaults = { email: batch.data.customer_email?.toLowerCase(), userId: batch.data.user_id };
  const events: IncomingEvent[] = [];
  const rejections: EventRejection[] = [];
  batch.data.events.forEach((raw, index) => {
    const plain = plainEvent(raw, index, defaults);
    if (plain) {
      events.push(plain);
      return;
    }
    const one = parseOne(raw, index, defaults, `body.events.${index}`);
    if (one.ok) events.push(one.event);
    else {
      const issue = one.issues[0];
      const field = ['events', index, ...(issue?.path ?? []).map(String)].join('.');
      const id = raw && typeof raw === 'object' ? (raw as { id?: unknown }).id : undefined;
      // The id is echoed back only when it is one the engine could have stored.
      const echo = typeof id === 'string' && identifierText(200).safeParse(id).success;
      rejections.push({
        index,
        id: echo ? (id as string).normalize('NFC') : null,
        reason: 'invalid',
        message: `${field}: ${issue?.message ?? 'is invalid'}`,
      });
    }
  });
  const total = events.reduce((n, e) => n + e.quantity, 0);
  if (total > MAX_QUANTITY_PER_REQUEST) {
    throw new AppError(
      'invalid',
      'validation_failed',
      `body.events: the request carries ${total} units; one request may carry at most ${MAX_QUANTITY_PER_REQUEST}`,
      { field: 'body.events', max: MAX_QUANTITY_PER_REQUEST },
    );
  }
  return { events, rejections };
}

export const usageTypeBody = z
  .object({
    code: z.string().regex(USAGE_TYPE_PATTERN, 'must be lower-case letters, digits, - or _, up to 32'),
    description: z.string().min(1).max(200).optional(),
  })
  .strict();

// Responses.

const unitsByType = z.record(z.string(), z.number().int().nonnegative());

export const reportUsageResponse = z.object({
  accepted: count,
  duplicate: count,
  rejected: count,
  rejected_events: z.array(
    z.object({ index: count, id: z.string().nullable(), reason: z.string(), message: z.string() }),
  ),
  /** The caller's own daily quota after this report; null when their plan has none. */
  quota: z
    .object({ limit: count, used_today: count, remaining_today: count, resets_at: timestamp })
    .nullable(),
});

export const usageResponse = z.object({
  usage: z.object({
    today: unitsByType,
    month: unitsByType,
    byok_month: unitsByType,
    period_start: timestamp,
    period_end: timestamp.nullable(),
  }),
  credits: z.object({
    tier: z.string().nullable(),
    included_credits: count,
    used: count,
    remaining: count,
    overage: count,
    overage_cost: dollars,
    overage_cost_cents: cents,
    price_per_1k: dollars,
    price_per_1k_cents: cents,
  }),
  /**
   * The period's usage cost so far per line of the plan's rate card: `*` is the plan's credits (included,
   * then the overage price), the others the lines of its own, by type and metadata dimension.
   */
  cost: z.object({
    lines: z.array(
      z.object({
        key: z.string(),
        usage_type: z.string(),
        match: z.record(z.string(), z.string()),
        byok: z.boolean(),
        units: count,
        included: count,
        included_used: count,
        priced_units: count,
        cost: dollars,
        cost_cents: cents,
      }),
    ),
    total: dollars,
    total_cents: cents,
    /** The currency of every amount of the period: the subscription's. */
    currency: currencyCode,
  }),
  tier: z.string().nullable(),
});

const rollup = z.object({
  id: z.string(),
  identifier: z.string(),
  type: z.string(),
  quantity: count,
  window_start: timestamp,
  window_end: timestamp,
  stripe_reported_at: timestamp.nullable(),
  lago_reported_at: timestamp.nullable(),
});

export const usageRecordsResponse = z.object({
  records: z.array(
    z.object({
      id: z.string(),
      event_id: z.string(),
      /** Whose id namespace event_id is in: the gateway's (`gateway`) or the customer's own (`self`). */
      reporter: z.enum(USAGE_REPORTERS),
      type: z.string(),
      quantity: count,
      timestamp,
      reported_at: timestamp,
      metadata: z.record(z.string(), z.unknown()),
      byok: z.boolean(),
      /** What inside the account it was for (a project, key or end user), when the reporter named one. */
      subject: z.string().nullable(),
      status: z.enum(['not_billed_byok', 'pending', 'rolled_up', 'reported']),
      rollup_id: z.string().nullable(),
      stripe_report_id: z.string().nullable(),
      lago_transaction_id: z.string().nullable(),
    }),
  ),
  rollups: z.array(rollup),
  next_cursor: z.string().nullable(),
});

export const resetUsageResponse = z.object({
  email: z.string(),
  customer_id: z.string(),
  day: z.iso.date(),
  reset: z.literal(true),
  previous_used: count,
  previous_by_type: unitsByType,
  resets_at: timestamp,
});

export const usageStatsResponse = z.object({
  since: z.iso.date(),
  today: z.iso.date(),
  totals_by_type: unitsByType,
  total: count,
  today_by_type: unitsByType,
  /** One entry per day with usage: the day, its units per type, and their total. */
  by_day: z.array(z.object({ day: z.iso.date(), total: count }).catchall(count)),
  top_customers_today: z.array(z.object({ customer_id: z.string(), email: z.string(), used: count })),
  rollup_backlog: z.object({
    events_not_rolled_up: count,
    oldest_unrolled_event_at: timestamp.nullable(),
    rollups_not_in_stripe: count,
    rollups_not_in_lago: count,
  }),
});

const usageType = z.object({ code: z.string(), description: z.string().nullable(), built_in: z.boolean() });

export const usageTypesResponse = z.object({ types: z.array(usageType) });

export const usageTypeResponse = usageType;
