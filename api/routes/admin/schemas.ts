import { z } from 'zod';
import { count, timestamp } from '../response-types';

const auditFilter = {
  entity_type: z.string().max(32).optional(),
  entity_id: z.string().max(128).optional(),
  /** Entries about this customer: the customer, their subscriptions, invoices and provider keys. */
  customer: z.email().optional(),
  /** Who acted, by email or subject. */
  actor: z.string().min(1).max(254).optional(),
  action: z
    .string()
    .regex(/^[a-z_]+\.[a-z_]+$/, 'must be an action such as invoice.refund')
    .optional(),
};

export const auditLogQuery = z
  .object({
    limit: z.coerce.number().int().min(1).max(200).default(50),
    cursor: z.string().max(512).optional(),
    ...auditFilter,
  })
  .strict();

export const auditLogExportQuery = z.object(auditFilter).strict();

export const auditLogResponse = z.object({
  entries: z.array(
    z.object({
      id: z.string(),
      actor_id: z.string(),
      actor_email: z.string().nullable(),
      action: z.string(),
      entity_type: z.string(),
      entity_id: z.string(),
      before: z.unknown(),
      after: z.unknown(),
      created_at: timestamp,
    }),
  ),
  total: count,
  next_cursor: z.string().nullable(),
});

export const operationsQuery = z
  .object({
    limit: z.coerce.number().int().min(1).max(100).default(25),
    cursor: z.string().max(200).optional(),
    /** `unforwarded`: only Stripe events not yet handed to a workflow. */
    webhooks: z.enum(['all', 'unforwarded']).default('all'),
    type: z
      .string()
      .regex(/^[a-z_.]{1,80}$/, 'must be a Stripe event type such as invoice.paid')
      .optional(),
    /** The renewal run's window opens here (renewals whose period boundary fell since); default 24 hours ago. */
    since: z.iso.datetime({ offset: true }).optional(),
  })
  .strict();

export const operationsResponse = z.object({
  /** The billing day: renewals due in the window and how far each got (paid + failed + waiting = due). */
  renewals: z.object({
    since: timestamp,
    until: timestamp,
    due: count,
    /** Due renewals whose invoice for the new period is in the mirror, whatever became of it. */
    invoiced: count,
    paid: count,
    /** A payment attempt failed, the invoice is uncollectible, or the subscription is in dunning. */
    failed: count,
    waiting: count,
    stripe_events: z.object({
      unforwarded: count,
      /** How long the oldest unforwarded Stripe event has waited: the forward lag as it stands. */
      oldest_unforwarded_age_seconds: count.nullable(),
    }),
  }),
  webhooks: z.object({
    unforwarded: count,
    events: z.array(
      z.object({
        id: z.string(),
        type: z.string(),
        object_id: z.string().nullable(),
        created: timestamp,
        received_at: timestamp,
        forwarded_at: timestamp.nullable(),
        /** Whom the event was handed to: our subscription ids, or a mirror run's workflow id. */
        routed_to: z.array(z.string()),
      }),
    ),
    next_cursor: z.string().nullable(),
  }),
  dunning: z.array(
    z.object({
      invoice_id: z.string(),
      email: z.string(),
      subscription_id: z.string(),
      subscription_status: z.string(),
      amount_due_cents: z.number().int(),
      currency: z.string(),
      attempts: count,
      due_date: timestamp.nullable(),
      hosted_invoice_url: z.string().nullable(),
    }),
  ),
  outbox: z.object({
    unsent: count,
    recent: z.array(
      z.object({
        id: z.string(),
        kind: z.string(),
        email: z.string(),
        created_at: timestamp,
        sent_at: timestamp.nullable(),
        error: z.string().nullable(),
      }),
    ),
  }),
});
