import type { WebhookAttempt } from '../../../db/entities';
import type { DeliveryView } from '../../../services/webhooks/deliveries';
import type { EndpointView } from '../../../services/webhooks/endpoints';

const iso = (d: Date | null | undefined) => d?.toISOString() ?? null;

/** An endpoint as admins read it; the secret is never part of it. */
export function endpointDto({ endpoint: e, pending, failed }: EndpointView) {
  return {
    id: e.id,
    url: e.url,
    description: e.description ?? null,
    event_types: e.eventTypes,
    enabled: e.enabled,
    failing_since: iso(e.failingSince),
    disabled_at: iso(e.disabledAt),
    disabled_reason: e.disabledReason ?? null,
    pending_deliveries: pending,
    failed_deliveries: failed,
    created_at: e.createdAt.toISOString(),
    updated_at: e.updatedAt.toISOString(),
  };
}

export function attemptDto(a: WebhookAttempt) {
  return {
    id: a.id,
    at: a.at.toISOString(),
    manual: a.manual,
    ok: a.ok,
    status_code: a.statusCode ?? null,
    latency_ms: a.latencyMs,
    error: a.error ?? null,
    response_excerpt: a.responseExcerpt ?? null,
  };
}

export function deliveryDto({ delivery: d, event, attempts }: DeliveryView) {
  return {
    id: d.id,
    endpoint_id: d.endpointId,
    event_id: d.eventId,
    event_type: d.eventType,
    event_created_at: d.eventCreatedAt.toISOString(),
    status: d.status,
    attempts: d.attempts,
    next_attempt_at: iso(d.nextAttemptAt),
    delivered_at: iso(d.deliveredAt),
    payload: event?.payload ?? null,
    attempt_log: attempts.map(attemptDto),
  };
}
