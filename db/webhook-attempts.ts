import type { EntityManager } from '@mikro-orm/core';
import type { AttemptResult, DeliveryRecord } from '../domain/webhook-delivery';
import { BillingEvent, Customer, WebhookAttempt, WebhookDelivery, WebhookEndpoint } from './entities';

/** A delivery to try, with its endpoint (null once deleted). */
export async function deliveryToTry(
  em: EntityManager,
  deliveryId: string,
): Promise<{ delivery: WebhookDelivery; endpoint: WebhookEndpoint | null } | null> {
  const delivery = await em.findOne(WebhookDelivery, { id: deliveryId });
  if (!delivery) return null;
  return { delivery, endpoint: await em.findOne(WebhookEndpoint, { id: delivery.endpointId }) };
}

/** The event a delivery carries, with the id, email and user id of the customer it is about. */
export async function eventWithCustomer(
  em: EntityManager,
  eventId: string,
): Promise<{ event: BillingEvent; customer: Pick<Customer, 'id' | 'email' | 'userId'> | null } | null> {
  const event = await em.findOne(BillingEvent, { id: eventId });
  if (!event) return null;
  const customer = event.customerId
    ? await em.findOne(Customer, { id: event.customerId }, { fields: ['email', 'userId'] })
    : null;
  return { event, customer };
}

/** One attempt's log line, as the console shows it. */
export interface AttemptLog {
  id: string;
  deliveryId: string;
  endpointId: string;
  at: Date;
  manual: boolean;
  ok: boolean;
  statusCode: number | null;
  latencyMs: number;
  error: string | null;
  responseExcerpt: string | null;
}

/**
 * Writes an attempt's log line and its result in one transaction: `decide` sees the delivery and its
 * endpoint as they stand in it (a concurrent attempt or an admin's switch is not overwritten with stale
 * values), and what it answers is written. `reason` says why an endpoint the result turns off went off.
 */
export async function recordAttempt(
  em: EntityManager,
  log: AttemptLog,
  decide: (record: DeliveryRecord) => AttemptResult,
  reason: (failingSince: Date) => string,
  now: Date,
): Promise<AttemptResult> {
  return em.transactional(async (tx) => {
    tx.create(WebhookAttempt, log);
    const d = await tx.findOneOrFail(WebhookDelivery, { id: log.deliveryId });
    const e = await tx.findOne(WebhookEndpoint, { id: log.endpointId });
    const result = decide({
      status: d.status,
      attempts: d.attempts,
      firstAttemptAt: d.firstAttemptAt ?? null,
      nextAttemptAt: d.nextAttemptAt ?? null,
      deliveredAt: d.deliveredAt ?? null,
      endpoint: e ? { enabled: e.enabled, failingSince: e.failingSince ?? null } : null,
    });
    d.lastAttemptAt = log.at;
    Object.assign(d, result.delivery);
    if (e) {
      e.failingSince = result.failingSince;
      if (result.turnOff) {
        e.enabled = false;
        e.disabledAt = now;
        e.disabledReason = reason(result.failingSince!);
        // Each turn-off is mailed about: a stamp left from an earlier one must not stand for this one.
        e.disabledMailSentAt = null;
      }
    }
    return result;
  });
}

/** An endpoint turned off for failing whose operators have not been mailed about that turn-off yet. */
export async function turnedOffUnmailed(
  em: EntityManager,
  endpointId: string,
  autoDisabled: string,
): Promise<WebhookEndpoint | null> {
  const endpoint = await em.findOne(WebhookEndpoint, { id: endpointId });
  if (
    !endpoint ||
    endpoint.enabled ||
    !endpoint.disabledReason?.startsWith(autoDisabled) ||
    endpoint.disabledMailSentAt
  )
    return null;
  return endpoint;
}

/**
 * Stamps the turn-off the mail told of, and only it: an admin may have turned the endpoint on again (which
 * clears the stamp) while the mail was being sent, and a stamp written then would stand for the next one.
 */
export async function markTurnOffMailed(
  em: EntityManager,
  endpoint: Pick<WebhookEndpoint, 'id' | 'disabledAt'>,
  at: Date,
): Promise<void> {
  await em.nativeUpdate(
    WebhookEndpoint,
    { id: endpoint.id, enabled: false, disabledAt: endpoint.disabledAt, disabledMailSentAt: null },
    { disabledMailSentAt: at },
  );
}
