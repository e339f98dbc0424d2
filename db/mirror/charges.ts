import type { EntityManager } from '@mikro-orm/core';
import type Stripe from 'stripe';
import { Charge, Customer, Invoice } from '../entities';
import { newId } from '../ids';
import { expandableId } from '../../integrations/stripe/expandable-id';
import { recordBillingEvent } from '../billing-events';
import { sqlFor } from '../raw-sql';
import { chargeObject } from '../../integrations/webhooks/objects';
import { date, LINK_ONLY } from './shared';
import { systemClock, type Clock } from '../../domain/clock';

/** Outcomes a charge never leaves: a read made before one of them must not undo it. */
const SETTLED_CHARGE = new Set(['succeeded', 'failed']);

/**
 * Upserts the charge mirror by Stripe id from a charge read from Stripe; the customer must already be
 * mirrored. Reads may land out of order (two events' re-reads racing), so nothing moves backwards: a
 * settled status stays, and the refunded amount only grows.
 */
export async function upsertCharge(
  em: EntityManager,
  ch: Stripe.Charge,
  /** The charge's latest dispute, when it has one. */
  dispute?: Stripe.Dispute | null,
  /** Where the time of the mirror's own dates comes from. */
  clock: Clock = systemClock,
): Promise<Charge | null> {
  const stripeCustomerId = expandableId(ch.customer);
  const customer = stripeCustomerId ? await em.findOne(Customer, { stripeCustomerId }, LINK_ONLY) : null;
  if (!customer) return null;
  // Newer API versions drop `invoice` from the charge type; Stripe and the emulator still send it.
  const stripeInvoiceId = expandableId((ch as unknown as { invoice?: unknown }).invoice);
  const invoice = stripeInvoiceId ? await em.findOne(Invoice, { stripeInvoiceId }, LINK_ONLY) : null;
  let row = await em.findOne(Charge, { stripeChargeId: ch.id });
  const refundedBefore = row?.amountRefundedCents ?? 0;
  if (!row) {
    row = em.create(Charge, {
      id: newId('chg'),
      stripeChargeId: ch.id,
      customer,
      amountCents: ch.amount,
      status: ch.status,
      createdAt: date(ch.created) ?? clock.now(),
    });
  }
  if (!(SETTLED_CHARGE.has(row.status) && !SETTLED_CHARGE.has(ch.status))) row.status = ch.status;
  row.amountCents = ch.amount;
  row.currency = ch.currency;
  row.paid = row.paid || ch.paid;
  row.amountRefundedCents = Math.max(row.amountRefundedCents, ch.amount_refunded);
  row.refunded = row.refunded || ch.refunded;
  row.stripeInvoiceId = stripeInvoiceId ?? row.stripeInvoiceId ?? null;
  row.invoice = invoice ?? row.invoice ?? null;
  row.description = ch.description ?? null;
  row.failureCode = ch.failure_code ?? null;
  row.cardBrand = ch.payment_method_details?.card?.brand ?? row.cardBrand ?? null;
  row.cardLast4 = ch.payment_method_details?.card?.last4 ?? row.cardLast4 ?? null;
  if (dispute) applyDispute(row, dispute);
  // Each refunded total is published once, before the mirror's write (as for invoices).
  if (row.amountRefundedCents > refundedBefore)
    await recordBillingEvent(sqlFor(em), {
      customerId: customer.id,
      type: 'charge.refunded',
      payload: {
        ...chargeObject(row),
        refunded_now_cents: row.amountRefundedCents - refundedBefore,
      },
      dedupeKey: `charge.refunded:${row.stripeChargeId}:${row.amountRefundedCents}`,
      at: clock.now(),
    });
  await em.flush();
  return row;
}

/**
 * How far along a dispute is: an inquiry (`warning_…`) may become a dispute, a dispute goes under review,
 * and it ends won, lost or closed. A read of an earlier stage never undoes a later one.
 */
const DISPUTE_STAGE: Record<string, number> = {
  warning_needs_response: 0,
  warning_under_review: 1,
  needs_response: 2,
  under_review: 3,
  warning_closed: 4,
  prevented: 4,
  won: 4,
  lost: 4,
};
/** A dispute at this stage has ended. */
export const FINAL_DISPUTE_STAGE = 4;
export const stageOfDispute = (status: string | null | undefined) =>
  status ? (DISPUTE_STAGE[status] ?? 0) : -1;

/** Copies a dispute onto its charge's row; an older dispute of the charge never replaces a newer one. */
function applyDispute(row: Charge, d: Stripe.Dispute): void {
  const at = date(d.created);
  if (row.stripeDisputeId && row.stripeDisputeId !== d.id && row.disputedAt && at && at < row.disputedAt)
    return;
  const same = row.stripeDisputeId === d.id;
  if (!same || stageOfDispute(d.status) >= stageOfDispute(row.disputeStatus)) row.disputeStatus = d.status;
  row.stripeDisputeId = d.id;
  row.disputedAmountCents = d.amount;
  row.disputeReason = d.reason ?? null;
  row.disputedAt = at ?? row.disputedAt ?? null;
}
