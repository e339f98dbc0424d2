import { EntitySchema, type Opt } from '@mikro-orm/core';
import { Customer } from './customer';

/**
 * The lengths of the text a card's row keeps, which a card written from an event's payload is checked
 * against before it is written (services/stripe-events/route.ts).
 */
export const PAYMENT_METHOD_TEXT = { type: 32, brand: 255, last4: 4, fingerprint: 64 } as const;

/** Mirror of a payment method attached to a customer in Stripe. */
export class PaymentMethod {
  id!: string;
  stripePaymentMethodId!: string;
  customer!: Customer;
  type: Opt<string> = 'card';
  brand?: string | null;
  last4?: string | null;
  expMonth?: number | null;
  expYear?: number | null;
  /** Stripe's card fingerprint: the same card number gives the same one, whichever customer adds it. */
  fingerprint?: string | null;
  isDefault: Opt<boolean> = false;
  detachedAt?: Date | null;
  createdAt!: Date;
}

export const PaymentMethodSchema = new EntitySchema<PaymentMethod>({
  class: PaymentMethod,
  tableName: 'payment_methods',
  properties: {
    id: { type: 'string', primary: true, length: 40 },
    stripePaymentMethodId: { type: 'string', unique: true },
    customer: { kind: 'm:1', entity: () => Customer, index: true },
    type: { type: 'string', length: PAYMENT_METHOD_TEXT.type },
    brand: { type: 'string', length: PAYMENT_METHOD_TEXT.brand, nullable: true },
    last4: { type: 'string', length: PAYMENT_METHOD_TEXT.last4, nullable: true },
    expMonth: { type: 'integer', nullable: true },
    expYear: { type: 'integer', nullable: true },
    fingerprint: { type: 'string', length: PAYMENT_METHOD_TEXT.fingerprint, nullable: true, index: true },
    isDefault: { type: 'boolean' },
    detachedAt: { type: 'Date', nullable: true },
    createdAt: { type: 'Date' },
  },
});
