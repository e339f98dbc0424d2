import type { operationsView } from '../../../services/operations/operations-view';

type Operations = Awaited<ReturnType<typeof operationsView>>;

const iso = (d: Date | null) => d?.toISOString() ?? null;

/**
 * What an operator checks when something looks stuck: the renewal run, Stripe's events, payments in
 * dunning, the outbox.
 */
export function operationsDto(o: Operations) {
  const r = o.renewals;
  return {
    renewals: {
      since: r.since.toISOString(),
      until: r.until.toISOString(),
      due: r.due,
      invoiced: r.invoiced,
      paid: r.paid,
      failed: r.failed,
      waiting: r.waiting,
      stripe_events: {
        unforwarded: r.intake.unforwarded,
        oldest_unforwarded_age_seconds: r.intake.oldestAgeSeconds,
      },
    },
    webhooks: {
      unforwarded: o.webhooks.unforwarded,
      events: o.webhooks.events.map((e) => ({
        id: e.id,
        type: e.type,
        object_id: e.objectId,
        created: e.created.toISOString(),
        received_at: e.receivedAt.toISOString(),
        forwarded_at: iso(e.forwardedAt),
        routed_to: e.routedTo,
      })),
      next_cursor: o.webhooks.nextCursor,
    },
    dunning: o.dunning.map((i) => ({
      invoice_id: i.invoiceId,
      email: i.email,
      subscription_id: i.subscriptionId,
      subscription_status: i.subscriptionStatus,
      amount_due_cents: i.amountDueCents,
      currency: i.currency,
      attempts: i.attempts,
      due_date: iso(i.dueDate),
      hosted_invoice_url: i.hostedInvoiceUrl,
    })),
    outbox: {
      unsent: o.outbox.unsent,
      recent: o.outbox.recent.map((n) => ({
        id: n.id,
        kind: n.kind,
        email: n.email,
        created_at: n.createdAt.toISOString(),
        sent_at: iso(n.sentAt),
        error: n.error,
      })),
    },
  };
}
