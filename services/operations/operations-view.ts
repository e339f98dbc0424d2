import type { EntityManager } from '@mikro-orm/core';
import { Invoice, Notification, type Subscription, StripeEvent } from '../../db/entities';
import { encodeCursor, decodeCursor } from '../../db/keyset-pagination';
import type { Clock } from '../../domain/clock';
import { renewalRun } from './renewal-run';

/**
 * What an operator checks when something looks stuck: the renewal run, Stripe's events, payments in
 * dunning, the outbox. The unforwarded count is the renewal run's intake figure, read once.
 */
export async function operationsView(
  em: EntityManager,
  q: { limit: number; cursor?: string; webhooks: 'all' | 'unforwarded'; type?: string; since?: Date },
  clock: Clock,
) {
  const key = { kind: 'date' as const };
  const after = q.cursor ? decodeCursor(q.cursor, key) : null;
  const [events, renewals, dunning, outbox, unsent] = await Promise.all([
    em.find(
      StripeEvent,
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
    renewalRun(em, { since: q.since }, clock),
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
    renewals,
    webhooks: {
      unforwarded: renewals.intake.unforwarded,
      events: page.map((e) => ({
        id: e.id,
        type: e.type,
        objectId: e.objectId ?? null,
        created: e.stripeCreatedAt,
        receivedAt: e.receivedAt,
        forwardedAt: e.forwardedAt ?? null,
        // A Stripe event can start or signal more than one workflow; the column lists them comma-separated.
        routedTo: e.workflowId ? e.workflowId.split(',') : [],
      })),
      nextCursor: events.length > q.limit && last ? encodeCursor(last.receivedAt.getTime(), last.id) : null,
    },
    dunning: dunning.map((i) => ({
      invoiceId: i.stripeInvoiceId,
      email: i.customer.email,
      subscriptionId: (i.subscription as Subscription).id,
      subscriptionStatus: (i.subscription as Subscription).status,
      amountDueCents: i.amountDueCents,
      currency: i.currency,
      attempts: i.attemptCount,
      dueDate: i.dueDate ?? null,
      hostedInvoiceUrl: i.hostedInvoiceUrl ?? null,
    })),
    outbox: {
      unsent,
      recent: outbox.map((n) => ({
        id: n.id,
        kind: n.kind,
        email: n.email,
        createdAt: n.createdAt,
        sentAt: n.sentAt ?? null,
        error: n.error ?? null,
      })),
    },
  };
}
