import { EntitySchema } from '@mikro-orm/core';

/**
 * A named lease one worker holds for a short while (see db/leases.ts): work on one object that must not
 * run twice at once across workers, such as money given back on one invoice.
 */
export class Lease {
  name!: string;
  holder!: string;
  expiresAt!: Date;
}

export const LeaseSchema = new EntitySchema<Lease>({
  class: Lease,
  tableName: 'leases',
  properties: {
    name: { type: 'string', primary: true, length: 200 },
    holder: { type: 'string', length: 300 },
    expiresAt: { type: 'Date' },
  },
});
