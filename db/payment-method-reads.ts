import type { EntityManager } from '@mikro-orm/core';
import { PaymentMethod } from './entities';
import { readDate, sqlFor } from './raw-sql';

/** The card fields a customer's payment method list shows. */
export interface PaymentMethodRow {
  stripePaymentMethodId: string;
  type: string;
  brand: string | null;
  last4: string | null;
  expMonth: number | null;
  expYear: number | null;
  isDefault: boolean;
  createdAt: Date;
}

const maybeNumber = (v: unknown): number | null => (v == null ? null : Number(v));

/** One customer's payment methods still attached, newest first. */
export async function paymentMethodsOfCustomer(
  em: EntityManager,
  customerId: string,
): Promise<PaymentMethodRow[]> {
  const rows = await sqlFor(em).read<Record<string, unknown>>(
    `select stripe_payment_method_id, type, brand, last4, exp_month, exp_year, is_default, created_at
       from payment_methods where customer_id = ? and detached_at is null order by created_at desc`,
    [customerId],
  );
  return rows.map((r) => ({
    stripePaymentMethodId: r.stripe_payment_method_id as string,
    type: r.type as string,
    brand: (r.brand as string | null) ?? null,
    last4: (r.last4 as string | null) ?? null,
    expMonth: maybeNumber(r.exp_month),
    expYear: maybeNumber(r.exp_year),
    isDefault: Boolean(r.is_default),
    createdAt: readDate(r.created_at),
  }));
}

/**
 * The card an invoice of the engine's own (a true-up, a prepaid commit) is charged with: the customer's
 * default, else their newest. Checkout pins its card on the subscription, not on the customer, so for an
 * invoice of the customer's Stripe would find none.
 */
export async function cardToCharge(em: EntityManager, customerId: string): Promise<string | null> {
  const [card] = await em.find(
    PaymentMethod,
    { customer: customerId, detachedAt: null },
    { orderBy: { isDefault: 'desc', createdAt: 'desc' }, limit: 1, fields: ['stripePaymentMethodId'] },
  );
  return card?.stripePaymentMethodId ?? null;
}
