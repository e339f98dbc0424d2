import type { EntityManager } from '@mikro-orm/core';
import { Invoice, type Subscription } from '../db/entities';
import { newId } from '../db/ids';

const MONTH_MS = 30 * 86_400_000;

/**
 * `count` paid monthly invoices of a subscription, the newest opening its period at `newestStart` and
 * each other a month before the next; numbered `<label>-<i>` from the oldest. Flushed by the caller.
 */
export function seedPaidInvoices(
  em: EntityManager,
  subscription: Subscription,
  opts: { count: number; newestStart: Date; label: string },
): void {
  for (let i = 0; i < opts.count; i++) {
    const start = new Date(opts.newestStart.getTime() - (opts.count - 1 - i) * MONTH_MS);
    em.create(Invoice, {
      id: newId('inv'),
      stripeInvoiceId: `in_${opts.label.toLowerCase()}_${i}`,
      customer: subscription.customer.id,
      subscription: subscription.id,
      number: `${opts.label}-${i}`,
      status: 'paid',
      subtotalCents: subscription.amountCents,
      totalCents: subscription.amountCents,
      amountPaidCents: subscription.amountCents,
      billingReason: i === 0 ? 'subscription_create' : 'subscription_cycle',
      periodStart: start,
      periodEnd: new Date(start.getTime() + MONTH_MS),
      paidAt: start,
      createdAt: start,
    });
  }
}
