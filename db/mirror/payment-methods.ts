import type { EntityManager } from '@mikro-orm/core';
import type Stripe from 'stripe';
import { type Customer, PaymentMethod } from '../entities';
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
