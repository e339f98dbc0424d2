import { EntitySchema, type Opt } from '@mikro-orm/core';

/** A person or organisation that pays: one per identity-provider subject. */
export class Customer {
  id!: string;
  userId!: string;
  email!: string;
  name?: string | null;
  roles: Opt<string[]> = [];
  keycloakId?: string | null;
  stripeCustomerId?: string | null;
  lagoCustomerId?: string | null;
  /**
   * The currency they are billed in, fixed by their first checkout (Stripe allows one currency per
   * customer once it has a subscription or invoice); null until then.
   */
  currency?: string | null;
  /** The billing address Stripe taxes by, as its latest invoice carries it; null until one was collected. */
  billingAddress?: {
    country: string | null;
    line1: string | null;
    line2: string | null;
    city: string | null;
    postalCode: string | null;
    state: string | null;
  } | null;
  /** Its tax ids (an EU VAT number…), as its latest invoice carries them. */
  taxIds?: { type: string; value: string }[] | null;
  createdAt: Opt<Date> = new Date();
  updatedAt: Opt<Date> = new Date();
  /**
   * Bumped by the database's own triggers whenever a row the customer's invoice list shows changes (their
   * invoices, and the charges and credit notes of those), so a read that finds it unchanged may answer
   * with the page it built before. The engine never writes it.
   */
  invoiceListVersion: Opt<number> = 0;
}

export const CustomerSchema = new EntitySchema<Customer>({
  class: Customer,
  tableName: 'customers',
  // Keyset pages order by (created, id): with created alone, rows of one instant are sorted apart on every page.
  indexes: [{ properties: ['createdAt', 'id'] }],
  properties: {
    id: { type: 'string', primary: true, length: 40 },
    userId: { type: 'string', unique: true },
    email: { type: 'string', unique: true },
    name: { type: 'string', nullable: true },
    roles: { type: 'json' },
    keycloakId: { type: 'string', nullable: true },
    stripeCustomerId: { type: 'string', nullable: true, unique: true },
    lagoCustomerId: { type: 'string', nullable: true },
    currency: { type: 'string', length: 3, nullable: true },
    billingAddress: { type: 'json', nullable: true },
    taxIds: { type: 'json', default: '[]' },
    createdAt: { type: 'Date' },
    updatedAt: { type: 'Date', onUpdate: () => new Date() },
    invoiceListVersion: { type: 'integer', default: 0 },
  },
});
