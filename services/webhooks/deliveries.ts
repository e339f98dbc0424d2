import type { EntityManager } from '@mikro-orm/core';
import { randomUUID } from 'node:crypto';
import { recordAudit } from '../../db/audit';
import {
  BillingEvent,
  WebhookAttempt,
  WebhookDelivery,
  WebhookEndpoint,
  type WebhookDeliveryStatus,
} from '../../db/entities';
import { notFound } from '../../domain/errors';
import type { Identity } from '../../domain/identity';
import { workflowIds } from '../../workflows/ids';
import type { CoreDeps } from '../deps';
import { workflowType } from '../temporal/workflow-type';

/** A delivery with its event and every attempt, newest attempt first. */
export interface DeliveryView {
  delivery: WebhookDelivery;
  event: BillingEvent | null;
  attempts: WebhookAttempt[];
}

/** One of a redelivery's outcomes, as the attempt recorded it. */
export interface RedeliveryResult {
  delivered: boolean;
  attempt: WebhookAttempt | null;
}

async function withAttempts(em: EntityManager, deliveries: WebhookDelivery[]): Promise<DeliveryView[]> {
  if (deliveries.length === 0) return [];
  const ids = deliveries.map((d) => d.id);
  const [attempts, events] = await Promise.all([
    em.find(WebhookAttempt, { deliveryId: { $in: ids } }, { orderBy: { at: 'desc', id: 'desc' } }),
    em.find(BillingEvent, { id: { $in: deliveries.map((d) => d.eventId) } }),
  ]);
  return deliveries.map((delivery) => ({
    delivery,
    event: events.find((e) => e.id === delivery.eventId) ?? null,
    attempts: attempts.filter((a) => a.deliveryId === delivery.id),
  }));
}

/** An endpoint's deliveries, newest first, optionally of one status, a page at a time (`before` a delivery id). */
export async function listDeliveries(
  em: EntityManager,
  endpointId: string,
  opts: { status?: WebhookDeliveryStatus; before?: string; limit: number },
): Promise<{ deliveries: DeliveryView[]; next: string | null }> {
  if (!(await em.findOne(WebhookEndpoint, { id: endpointId }, { fields: ['id'] })))
    throw notFound('webhook_endpoint', endpointId);
  const rows = await em.find(
    WebhookDelivery,
    {
      endpointId,
      ...(opts.status && { status: opts.status }),
      ...(opts.before && { id: { $lt: opts.before } }),
    },
    { orderBy: { id: 'desc' }, limit: opts.limit + 1 },
  );
  const page = rows.slice(0, opts.limit);
  return {
    deliveries: await withAttempts(em, page),
    next: rows.length > opts.limit ? page[page.length - 1]!.id : null,
  };
}

export async function deliveryById(em: EntityManager, deliveryId: string): Promise<DeliveryView> {
  const delivery = await em.findOne(WebhookDelivery, { id: deliveryId });
  if (!delivery) throw notFound('webhook_delivery', deliveryId);
  return (await withAttempts(em, [delivery]))[0]!;
}

/**
 * An admin sends a delivery again now, whatever became of it: one attempt, outside its queue's order and
 * retries, logged as manual (a success marks it delivered). Waits for the attempt, which its own timeout
 * bounds, and answers what it came to. Audited.
 */
export async function redeliver(
  deps: Pick<CoreDeps, 'orm' | 'temporal' | 'config'>,
  actor: Identity,
  deliveryId: string,
): Promise<RedeliveryResult> {
  const em = deps.orm.em.fork();
  const delivery = await em.findOne(WebhookDelivery, { id: deliveryId });
  if (!delivery) throw notFound('webhook_delivery', deliveryId);
  recordAudit(em, {
    actor,
    action: 'webhook_delivery.redeliver',
    entityType: 'webhook_delivery',
    entityId: deliveryId,
  });
  await em.flush();
  const outcome = await deps.temporal.workflow.execute(workflowType('webhookRedeliveryWorkflow'), {
    workflowId: workflowIds.webhookRedelivery(deliveryId, randomUUID()),
    taskQueue: deps.config.TEMPORAL_TASK_QUEUE,
    args: [{ deliveryId }],
  });
  const attempt = outcome.attemptId
    ? await em.fork().findOne(WebhookAttempt, { id: outcome.attemptId })
    : null;
  return { delivered: outcome.outcome === 'delivered', attempt };
}
