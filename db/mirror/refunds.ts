import type { EntityManager } from '@mikro-orm/core';
import type Stripe from 'stripe';
import { Charge, Refund } from '../entities';
import { newId } from '../ids';
import { expandableId } from '../../integrations/stripe/expandable-id';
import { date } from './shared';
import { systemClock, type Clock } from '../../domain/clock';

/**
 * How far along a refund is: pending (or waiting on the customer), then succeeded, and a succeeded one may
 * still fail later; failed and canceled are ends. A read from an earlier stage never undoes a later one.
 */
const REFUND_STAGE: Record<string, number> = {
  pending: 0,
  requires_action: 0,
  succeeded: 1,
  failed: 2,
  canceled: 2,
};

/**
 * Upserts the refund mirror by Stripe id from a refund read from Stripe; its charge must already be
 * mirrored. A refund's amount never changes; its status only moves forward (see REFUND_STAGE).
 */
export async function upsertRefund(
  em: EntityManager,
  r: Stripe.Refund,
  /** Dates a refund Stripe sent without its own date. */
  clock: Clock = systemClock,
): Promise<Refund | null> {
  const stripeChargeId = expandableId(r.charge);
  const charge = stripeChargeId
    ? ((await em.findOne(
        Charge,
        { stripeChargeId },
        {
          fields: ['id', 'customer', 'stripeInvoiceId'],
        },
      )) as Charge | null)
    : null;
  if (!charge) return null;
  let row = await em.findOne(Refund, { stripeRefundId: r.id });
  if (!row) {
    row = em.create(Refund, {
      id: newId('rfd'),
      stripeRefundId: r.id,
      charge,
      customer: charge.customer,
      amountCents: r.amount,
      status: r.status ?? 'succeeded',
      createdAt: date(r.created) ?? clock.now(),
    });
  }
  const status = r.status ?? 'succeeded';
  if ((REFUND_STAGE[status] ?? 0) >= (REFUND_STAGE[row.status] ?? 0)) row.status = status;
  row.amountCents = r.amount;
  row.currency = r.currency;
  row.reason = r.reason ?? null;
  row.stripeInvoiceId = charge.stripeInvoiceId ?? null;
  await em.flush();
  return row;
}
