import { validationErrors } from './errors';
import { lagoId, nowIso } from './ids';
import { isObject, requireRoot, text } from './params';
import type { Router } from './router';
import type { LagoStore } from './store';
import type { EventRec } from './types';

/** Lago's documented limit for one batch request. */
export const MAX_BATCH = 100;

type FieldErrors = Record<string, string[]>;

/**
 * Lago reads `timestamp` with Ruby's Float(): Unix seconds as a number or numeric string (decimals for
 * sub-second precision). An ISO 8601 string is refused; a missing one means "now".
 */
function parseTimestamp(value: unknown): number | null {
  if (value === undefined || value === null || value === '') return Date.now() / 1000;
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  if (typeof value === 'string' && /^\s*-?\d+(\.\d+)?\s*$/.test(value)) return Number(value);
  return null;
}

function build(store: LagoStore, input: unknown): { event?: EventRec; errors?: FieldErrors } {
  if (!isObject(input)) return { errors: { event: ['value_is_invalid'] } };
  const errors: FieldErrors = {};
  const transactionId = text(input.transaction_id);
  const code = text(input.code);
  const externalSubscriptionId = text(input.external_subscription_id);
  const seconds = parseTimestamp(input.timestamp);
  if (!transactionId) errors.transaction_id = ['value_is_mandatory'];
  if (!code) errors.code = ['value_is_mandatory'];
  if (!externalSubscriptionId) errors.external_subscription_id = ['value_is_mandatory'];
  if (seconds === null) errors.timestamp = ['invalid_format'];
  if (input.properties !== undefined && input.properties !== null && !isObject(input.properties)) {
    errors.properties = ['value_is_invalid'];
  }
  if (transactionId && externalSubscriptionId && store.hasEvent(externalSubscriptionId, transactionId)) {
    errors.transaction_id = ['value_already_exist'];
  }
  if (
    Object.keys(errors).length > 0 ||
    !transactionId ||
    !code ||
    !externalSubscriptionId ||
    seconds === null
  ) {
    return { errors };
  }
  return {
    event: {
      lago_id: lagoId(),
      transaction_id: transactionId,
      lago_customer_id: null,
      code,
      timestamp: new Date(Math.round(seconds * 1000)).toISOString(),
      properties: isObject(input.properties) ? input.properties : {},
      // Lago attaches events to subscriptions asynchronously; the id is known only once it is active.
      lago_subscription_id: store.activeSubscription(externalSubscriptionId)?.lago_id ?? null,
      external_subscription_id: externalSubscriptionId,
      precise_total_amount_cents: text(input.precise_total_amount_cents),
      created_at: nowIso(),
    },
  };
}

export function registerEvents(router: Router): void {
  router.on('POST', '/api/v1/events', ({ store, body }) => {
    const { event, errors } = build(store, requireRoot(body, 'event'));
    if (!event) throw validationErrors(errors ?? {});
    store.addEvent(event);
    return { body: { event } };
  });

  // All or nothing: one invalid or duplicate event, or more than 100, and none of the batch is stored.
  router.on('POST', '/api/v1/events/batch', ({ store, body }) => {
    const inputs = body.events;
    if (!Array.isArray(inputs) || inputs.length === 0) throw validationErrors({ events: ['no_events'] });
    if (inputs.length > MAX_BATCH) throw validationErrors({ events: ['too_many_events'] });
    const events: EventRec[] = [];
    const errors: Record<string, FieldErrors> = {};
    const seen = new Set<string>();
    inputs.forEach((input, index) => {
      const built = build(store, input);
      if (built.event) {
        const key = JSON.stringify([built.event.external_subscription_id, built.event.transaction_id]);
        // A transaction_id twice in one batch is as much a duplicate as one already stored.
        if (seen.has(key)) errors[index] = { transaction_id: ['value_already_exist'] };
        else events.push(built.event);
        seen.add(key);
      } else {
        errors[index] = built.errors ?? {};
      }
    });
    if (Object.keys(errors).length > 0) throw validationErrors(errors);
    for (const event of events) store.addEvent(event);
    return { body: { events } };
  });
}
