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
  createdAt: Opt<Date> = new Date();
  updatedAt: Opt<Date> = new Date();
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
    createdAt: { type: 'datetime' },
    updatedAt: { type: 'datetime', onUpdate: () => new Date() },
  },
});
