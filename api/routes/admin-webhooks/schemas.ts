import { z } from 'zod';
import { WEBHOOK_EVENT_TYPES } from '../../../domain/webhook-endpoints';
import { count, timestamp } from '../response-types';

const endpointId = z.string().regex(/^whe_[0-9a-z]{20}$/, 'must be a webhook endpoint id (whe_…)');
const deliveryId = z.string().regex(/^whd_[0-9a-z]{20}$/, 'must be a webhook delivery id (whd_…)');

export const endpointParams = z.object({ id: endpointId }).strict();
export const deliveryParams = z.object({ id: deliveryId }).strict();

/** The address is judged by domain/webhook-endpoints.ts (scheme, credentials, private hosts), which names the rule broken. */
const url = z.string().min(1).max(2000);
const description = z.string().trim().max(200).nullable();
const eventTypes = z
  .array(z.enum(WEBHOOK_EVENT_TYPES))
  .min(1)
  .max(WEBHOOK_EVENT_TYPES.length)
  .refine((types) => new Set(types).size === types.length, 'must not name an event type twice');

export const createEndpointBody = z
  .object({
    url,
    description: description.default(null),
    event_types: eventTypes,
    enabled: z.boolean().default(true),
  })
  .strict();

export const updateEndpointBody = z
  .object({ url, description, event_types: eventTypes, enabled: z.boolean() })
  .partial()
  .strict();

export const deliveriesQuery = z
  .object({
    status: z.enum(['pending', 'succeeded', 'failed']).optional(),
    before: deliveryId.optional(),
    limit: z.coerce.number().int().min(1).max(100).default(25),
  })
  .strict();

export const endpointResponse = z.object({
  id: z.string(),
  url: z.string(),
  description: z.string().nullable(),
  event_types: z.array(z.string()),
  enabled: z.boolean(),
  failing_since: timestamp.nullable(),
  disabled_at: timestamp.nullable(),
  disabled_reason: z.string().nullable(),
  pending_deliveries: count,
  failed_deliveries: count,
  created_at: timestamp,
  updated_at: timestamp,
});

export const endpointListResponse = z.object({
  endpoints: z.array(endpointResponse),
  /** What an endpoint may subscribe to. */
  event_types: z.array(z.string()),
});

/** The signing secret is answered here only: when the endpoint is made and when its secret is rotated. */
export const endpointWithSecretResponse = endpointResponse.extend({ secret: z.string() });

export const deletedResponse = z.object({ id: z.string(), deleted: z.literal(true) });

export const attemptResponse = z.object({
  id: z.string(),
  at: timestamp,
  manual: z.boolean(),
  ok: z.boolean(),
  status_code: z.number().int().nullable(),
  latency_ms: count,
  error: z.string().nullable(),
  response_excerpt: z.string().nullable(),
});

export const deliveryResponse = z.object({
  id: z.string(),
  endpoint_id: z.string(),
  event_id: z.string(),
  event_type: z.string(),
  event_created_at: timestamp,
  status: z.enum(['pending', 'succeeded', 'failed']),
  attempts: count,
  next_attempt_at: timestamp.nullable(),
  delivered_at: timestamp.nullable(),
  /** The event as endpoints receive it (its `data`). */
  payload: z.record(z.string(), z.unknown()).nullable(),
  attempt_log: z.array(attemptResponse),
});

export const deliveryListResponse = z.object({
  deliveries: z.array(deliveryResponse),
  next_cursor: z.string().nullable(),
});

export const redeliveryResponse = z.object({
  delivered: z.boolean(),
  attempt: attemptResponse.nullable(),
});
