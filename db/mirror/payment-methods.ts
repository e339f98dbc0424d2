import type { EntityManager } from '@mikro-orm/core';
import type Stripe from 'stripe';
import { Customer, PaymentMethod, StripeEvent } from '../entities';
import { newId } from '../ids';
import { date } from './shared';
import { systemClock, type Clock } from '../../domain/clock';

/** Upserts a card into the mirror; `isDefault` follows the customer's invoice default. */
export async function upsertPaymentMethod(
  em: EntityManager,
  customer: Customer,
  pm: Stripe.PaymentMethod,
  isDefault: boolean,
  /** Dates a card Stripe sent without its own date. */
  clock: Clock = systemClock,
): Promise<PaymentMethod> {
  let row = await em.findOne(PaymentMethod, { stripePaymentMethodId: pm.id });
  if (!row) {
    row = em.create(PaymentMethod, {
      id: newId('pmt'),
      stripePaymentMethodId: pm.id,
      customer,
      createdAt: date(pm.created) ?? clock.now(),
    });
  }
  row.type = pm.type;
  row.brand = pm.card?.brand ?? null;
  row.last4 = pm.card?.last4 ?? null;
  row.expMonth = pm.card?.exp_month ?? null;
  row.expYear = pm.card?.exp_year ?? null;
  row.fingerprint = pm.card?.fingerprint ?? null;
  row.detachedAt = null;
  if (isDefault) {
    // The row itself is left out: had it been default already, the update would clear it in the database
    // while the loaded row, unchanged, would not be written back.
    await em.nativeUpdate(
      PaymentMethod,
      { customer, isDefault: true, stripePaymentMethodId: { $ne: pm.id } },
      { isDefault: false },
    );
    row.isDefault = true;
  }
  await em.flush();
  return row;
}

/**
 * Writes a card from the payload of the event that attached it, when that is all its row can be: a card the
 * mirror does not know, of a customer with no other card on file, never reported detached. Whether it is the
 * card that pays is Stripe's customer's to say (its invoice default), which the payload does not carry: the
 * row says not, as it would until the customer picks one, and the customer's next card event or checkout
 * reads it from Stripe. False, writing nothing, for any other card (a run reads the customer's cards then).
 */
export async function mirrorFirstCard(
  em: EntityManager,
  customerId: string,
  pm: Stripe.PaymentMethod,
  clock: Clock = systemClock,
): Promise<boolean> {
  const customer = em.getReference(Customer, customerId);
  const cards = await em.count(PaymentMethod, {
    $or: [{ stripePaymentMethodId: pm.id }, { customer, detachedAt: null }],
  });
  if (cards > 0) return false;
  // Stripe's events come out of order: a detachment received first means this payload is not the card's last word.
  if ((await em.count(StripeEvent, { objectId: pm.id, type: 'payment_method.detached' })) > 0) return false;
  em.create(PaymentMethod, {
    id: newId('pmt'),
    stripePaymentMethodId: pm.id,
    customer,
    type: pm.type,
    brand: pm.card?.brand ?? null,
    last4: pm.card?.last4 ?? null,
    expMonth: pm.card?.exp_month ?? null,
    expYear: pm.card?.exp_year ?? null,
    fingerprint: pm.card?.fingerprint ?? null,
    isDefault: false,
    createdAt: date(pm.created) ?? clock.now(),
  });
  await em.flush();
  return true;
}
