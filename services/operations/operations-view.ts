import type { EntityManager } from '@mikro-orm/core';
import { Invoice, Notification, type Subscription, WebhookEvent } from '../../db/entities';
import { encodeCursor, decodeCursor } from '../../db/keyset-pagination';

/** What an operator checks when something looks stuck: Stripe's events, payments in dunning, the outbox. */
export async function operationsView(
  em: EntityManager,
  q: { limit: number; cursor?: string; webhooks: 'all' | 'unforwarded'; type?: string },
) {
  const key = { kind: 'date' as const };
  const after = q.cursor ? decodeCursor(q.cursor, key) : null;
  const [events, unforwarded, dunning, outbox, unsent] = await Promise.all([
    em.find(
      WebhookEvent,
      {
        ...(q.webhooks === 'unforwarded' ? { forwardedAt: null } : {}),
        ...(q.type ? { type: q.type } : {}),
        ...(after
          ? {
              $or: [
                { receivedAt: { $lt: after.value as Date } },
                { receivedAt: after.value as Date, id: { $lt: after.id } },
              ],
            }
          : {}),
      },
      {
        orderBy: { receivedAt: 'desc', id: 'desc' },
        limit: q.limit + 1,
        fields: ['id', 'type', 'objectId', 'stripeCreatedAt', 'receivedAt', 'workflowId', 'forwardedAt'],
      },
    ),
    em.count(WebhookEvent, { forwardedAt: null }),
    // Dunning is in flight while a subscription is past due or suspended for an unpaid invoice.
    em.find(
      Invoice,
      {
        status: 'open',
        attemptCount: { $gt: 0 },
        subscription: { status: { $in: ['past_due', 'suspended'] } },
      },
      { populate: ['customer', 'subscription'], orderBy: { updatedAt: 'desc' }, limit: 50 },
    ),
    em.find(Notification, {}, { orderBy: { createdAt: 'desc', id: 'desc' }, limit: 20 }),
    em.count(Notification, { sentAt: null }),
  ]);
  const page = events.slice(0, q.limit);
  const last = page[page.length - 1];
  return {
    webhooks: {
      unforwarded,
      events: page.map((e) => ({
        id: e.id,
        type: e.type,
        object_id: e.objectId ?? null,
        created: e.stripeCreatedAt.toISOString(),
        received_at: e.receivedAt.toISOString(),
        forwarded_at: e.forwardedAt?.toISOString() ?? null,
        routed_to: e.workflowId ? e.workflowId.split(',') : [],
      })),
      next_cursor: events.length > q.limit && last ? encodeCursor(last.receivedAt.getTime(), last.id) : null,
    },
    dunning: dunning.map((i) => ({
      invoice_id: i.stripeInvoiceId,
      email: i.customer.email,
      subscription_id: (i.subscription as Subscription).id,
      subscription_status: (i.subscription as Subscription).status,
      amount_due_cents: i.amountDueCents,
      currency: i.currency,
      attempts: i.attemptCount,
      due_date: i.dueDate?.toISOString() ?? null,
      hosted_invoice_url: i.hostedInvoiceUrl ?? null,
    })),
    outbox: {
      unsent,
      recent: outbox.map((n) => ({
        id: n.id,
        kind: n.kind,
        email: n.email,
        created_at: n.createdAt.toISOString(),
        sent_at: n.sentAt?.toISOString() ?? null,
        error: n.error ?? null,
      })),
    },
  };
}
