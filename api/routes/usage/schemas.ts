import { z } from 'zod';
import { AppError } from '../../../domain/errors';
import { MAX_EVENTS_PER_REQUEST, USAGE_TYPE_PATTERN } from '../../../domain/usage';
import type { EventRejection, IncomingEvent } from '../../services/usage/report';

const metadata = z.record(z.string(), z.unknown());
const customerRef = {
  /** Service accounts (editor and above) report for other customers by email or identity-provider id. */
  customer_email: z.email().max(320).optional(),
  user_id: z.string().min(1).max(200).optional(),
};

/** One usage event as DESIGN.md pins it; `id` is the caller's idempotency key for the event. */
export const usageEvent = z
  .object({
    id: z.string().min(1).max(200),
    type: z.string().regex(USAGE_TYPE_PATTERN, 'must be a lower-case usage type name'),
    quantity: z.number().int().min(1).max(1_000_000_000),
    timestamp: z.iso.datetime({ offset: true }).optional(),
    metadata: metadata.optional(),
    /** Ran on the customer's own provider key (also accepted as metadata.byok). */
    byok: z.boolean().optional(),
    ...customerRef,
  })
  .strict();

/** Seed 003's form: no event id or type; metadata may arrive as a JSON string. */
export const legacyUsageEvent = z
  .object({
    quantity: z.number().int('must be a whole number of units').min(1).max(1_000_000_000),
    subscription_item_id: z.string().min(1).max(200).optional(),
    metadata: z.union([metadata, z.string().max(10_000)]).optional(),
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
    cursor: z.string().max(64).optional(),
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

function validationFailed(issues: z.core.$ZodIssue[], prefix: string): AppError {
  const all = issues.map((i) => ({ field: [prefix, ...i.path.map(String)].join('.'), message: i.message }));
  const first = all[0] ?? { field: prefix, message: 'is invalid' };
  return new AppError(400, 'validation_failed', `${first.field}: ${first.message}`, {
    field: first.field,
    issues: all,
  });
}

function parseMetadataString(text: string): Record<string, unknown> | null {
  try {
    const value: unknown = JSON.parse(text);
    return value && typeof value === 'object' && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : null;
  } catch {
    return null;
  }
}

type Parsed = { ok: true; event: IncomingEvent } | { ok: false; issues: z.core.$ZodIssue[] };

function parseOne(raw: unknown, index: number, defaults: { email?: string; userId?: string }): Parsed {
  const isLegacy =
    raw !== null && typeof raw === 'object' && !('id' in raw) && !('type' in raw) && 'quantity' in raw;
  if (isLegacy) {
    const r = legacyUsageEvent.safeParse(raw);
    if (!r.success) return { ok: false, issues: r.error.issues };
    const meta = typeof r.data.metadata === 'string' ? parseMetadataString(r.data.metadata) : r.data.metadata;
    if (meta === null) {
      return {
        ok: false,
        issues: [{ code: 'custom', path: ['metadata'], message: 'must be a JSON object', input: raw }],
      };
    }
    const metadata = { ...(meta ?? {}) };
    if (r.data.subscription_item_id) metadata.subscription_item_id = r.data.subscription_item_id;
    return {
      ok: true,
      event: {
        index,
        eventId: null,
        // Seed 003 meters one thing, API calls: they count as inference.
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
    const one = parseOne(body, 0, {});
    if (!one.ok) throw validationFailed(one.issues, 'body');
    return { events: [one.event], rejections: [] };
  }
  const batch = usageBatch.safeParse(body);
  if (!batch.success) throw validationFailed(batch.error.issues, 'body');
  const defaults = { email: batch.data.customer_email?.toLowerCase(), userId: batch.data.user_id };
  const events: IncomingEvent[] = [];
  const rejections: EventRejection[] = [];
  batch.data.events.forEach((raw, index) => {
    const one = parseOne(raw, index, defaults);
    if (one.ok) events.push(one.event);
    else {
      const issue = one.issues[0];
      const field = ['events', index, ...(issue?.path ?? []).map(String)].join('.');
      const id = raw && typeof raw === 'object' && typeof (raw as { id?: unknown }).id === 'string';
      rejections.push({
        index,
        id: id ? (raw as { id: string }).id : null,
        reason: 'invalid',
        message: `${field}: ${issue?.message ?? 'is invalid'}`,
      });
    }
  });
  return { events, rejections };
}

export const usageTypeBody = z
  .object({
    code: z.string().regex(USAGE_TYPE_PATTERN, 'must be lower-case letters, digits, - or _, up to 32'),
    description: z.string().min(1).max(200).optional(),
  })
  .strict();
