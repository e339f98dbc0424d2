import { MAX_QUANTITY_PER_EVENT, USAGE_TYPE_PATTERN } from '../../../domain/usage';
import { SUBJECT_PATTERN } from '../../../domain/subject-budgets';
import type { IncomingEvent } from '../../../domain/usage-report';

/** Printable ASCII of 1 to 200 characters: nothing in it for the input guard or an identifier to refuse. */
const PLAIN_ID = /^[\x20-\x7e]{1,200}$/;
const FIELDS = new Set(['id', 'type', 'quantity', 'user_id', 'subject']);

/**
 * The event a gateway sends after each model call, `{id, type, quantity}` with its user id or subject,
 * taken without the input guard's walk and the schema's parse: each field is checked here by the schema's
 * own rule, in the few forms that leave nothing else to check (printable ASCII, a whole number in range).
 * Null for anything else (another field, other text, a value out of range), which the schema then reads as
 * before, refusals and their messages included. test/api/usage-plain-event.test.ts holds every event this
 * takes to what the schema makes of it.
 */
export function plainEvent(
  input: unknown,
  index: number,
  defaults: { email?: string; userId?: string },
): IncomingEvent | null {
  if (input === null || typeof input !== 'object' || Object.getPrototypeOf(input) !== Object.prototype)
    return null;
  const event = input as Record<string, unknown>;
  for (const key in event) if (!FIELDS.has(key)) return null;
  const { id, type, quantity, user_id: userId, subject } = event;
  if (typeof id !== 'string' || !PLAIN_ID.test(id)) return null;
  if (typeof type !== 'string' || !USAGE_TYPE_PATTERN.test(type)) return null;
  if (typeof quantity !== 'number' || !Number.isInteger(quantity)) return null;
  if (quantity < 1 || quantity > MAX_QUANTITY_PER_EVENT) return null;
  if (userId !== undefined && (typeof userId !== 'string' || !PLAIN_ID.test(userId))) return null;
  if (subject !== undefined && (typeof subject !== 'string' || !SUBJECT_PATTERN.test(subject))) return null;
  return {
    index,
    eventId: id,
    type,
    quantity,
    timestamp: null,
    metadata: {},
    byok: false,
    customerEmail: defaults.email ?? null,
    userId: userId ?? defaults.userId ?? null,
    subject: subject ?? null,
  };
}
