import type { EntityManager } from '@mikro-orm/core';
import type Stripe from 'stripe';
import { Customer, CreditNote, Invoice } from '../entities';
import { newId } from '../ids';
import { expandableId } from '../../integrations/stripe/expandable-id';
import { date, LINK_ONLY, lockInvoiceLinks } from './shared';
import { sqlFor } from '../raw-sql';
import { systemClock, type Clock } from '../../domain/clock';

/**
 * Upserts the credit note mirror by Stripe id from a credit note read from Stripe; the customer must
 * already be mirrored. A credit note's amounts never change once issued; only voiding it does, and a
 * void one stays void whatever an older read says.
 */
export async function upsertCreditNote(
  em: EntityManager,
  cn: Stripe.CreditNote,
  /** Dates a credit note Stripe sent without its own date. */
  clock: Clock = systemClock,
): Promise<CreditNote | null> {
  const stripeCustomerId = expandableId(cn.customer);
  const stripeInvoiceId = expandableId(cn.invoice);
  if (!stripeCustomerId || !stripeInvoiceId) return null;
  return em.transactional(async (tx) => {
    await lockInvoiceLinks(sqlFor(tx), stripeInvoiceId);
    const customer = await tx.findOne(Customer, { stripeCustomerId }, LINK_ONLY);
    return customer ? writeCreditNote(tx, cn, customer, stripeInvoiceId, clock) : null;
  });
}

async function writeCreditNote(
  em: EntityManager,
  cn: Stripe.CreditNote,
  customer: Customer,
  stripeInvoiceId: string,
  clock: Clock,
): Promise<CreditNote> {
  const invoice = await em.findOne(Invoice, { stripeInvoiceId }, LINK_ONLY);
  const refundedCents = (cn.refunds ?? []).reduce((sum, r) => sum + (r.amount_refunded ?? 0), 0);
  let row = await em.findOne(CreditNote, { stripeCreditNoteId: cn.id });
  if (!row) {
    row = em.create(CreditNote, {
      id: newId('crn'),
      stripeCreditNoteId: cn.id,
      customer,
      stripeInvoiceId,
      amountCents: cn.amount,
      creditedCents: cn.amount - refundedCents,
      type: cn.type,
      status: cn.status,
      createdAt: date(cn.created) ?? clock.now(),
    });
  }
  row.invoice = invoice ?? row.invoice ?? null;
  row.number = cn.number || null;
  row.amountCents = cn.amount;
  row.refundedCents = refundedCents;
  row.creditedCents = cn.amount - refundedCents;
  row.currency = cn.currency;
  row.type = cn.type;
  if (row.status !== 'void') row.status = cn.status;
  row.voidedAt = row.voidedAt ?? date(cn.voided_at);
  row.reason = cn.reason ?? null;
  row.memo = cn.memo ?? null;
  await em.flush();
  return row;
}
