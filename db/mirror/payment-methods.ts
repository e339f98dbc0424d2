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
 * row says not, until a subscription comes to life charging it (`markChargedCardDefault`) or the
 * customer's checkout or next card event reads the cards from Stripe. False, writing nothing, for any
 * other card (a run reads the customer's cards then).
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

/**
 * Marks the card a live subscription is charged with as the customer's default, unless one already is: a
 * first card written from its payload says not (`mirrorFirstCard`), and when a subscription comes to
 * life charging it, that card is the one that pays (as `syncPaymentMethods` would read it: the customer's
 * invoice default, else the card a live subscription is charged with).
 */
export async function markChargedCardDefault(
  em: EntityManager,
  customerId: string,
  stripePaymentMethodId: string,
): Promise<void> {
  if ((await em.count(PaymentMethod, { customer: customerId, isDefault: true, detachedAt: null })) > 0)
    return;
  await em.nativeUpdate(
    PaymentMethod,
    { customer: customerId, stripePaymentMethodId, detachedAt: null },
    { isDefault: true },
  );
}
