import type Stripe from 'stripe';
import { stripeCall } from './errors';
import { idempotencyKey } from './idempotency';

/**
 * An invoice of the engine's own with one line (a true-up, a prepaid commit), finalized and left for the
 * caller to charge. Each call carries an idempotency key under `key`, so a retried step finds what the
 * first attempt made.
 */
export async function oneLineInvoice(
  stripe: Stripe,
  req: {
    key: string;
    stripeCustomerId: string;
    currency: string;
    amountCents: number;
    description: string;
    lineDescription: string;
    metadata: Record<string, string>;
    /** The service period the line bills (unix seconds); absent: Stripe's default. */
    period?: { start: number; end: number };
  },
): Promise<{ stripeInvoiceId: string }> {
  const draft = await stripeCall(() =>
    stripe.invoices.create(
      {
        customer: req.stripeCustomerId,
        currency: req.currency,
        pending_invoice_items_behavior: 'exclude',
        auto_advance: false,
        description: req.description,
        metadata: req.metadata,
      },
      { idempotencyKey: idempotencyKey(`${req.key}:invoice`) },
    ),
  );
  const id = draft.id as string;
  await stripeCall(() =>
    stripe.invoiceItems.create(
      {
        customer: req.stripeCustomerId,
        invoice: id,
        amount: req.amountCents,
        currency: req.currency,
        description: req.lineDescription,
        metadata: req.metadata,
        ...(req.period ? { period: req.period } : {}),
      },
      { idempotencyKey: idempotencyKey(`${req.key}:item`) },
    ),
  );
  if (draft.status === 'draft')
    await stripeCall(() =>
      stripe.invoices.finalizeInvoice(id, {}, { idempotencyKey: idempotencyKey(`${req.key}:finalize`) }),
    );
  return { stripeInvoiceId: id };
}
