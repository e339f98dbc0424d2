import { EntitySchema, type Opt } from '@mikro-orm/core';
import type { GrantSource } from '../../domain/credit-ledger';

/**
 * Credits put into a customer's ledger (domain/credit-ledger.ts). A grant is never edited but for its
 * expiry (an admin's extension, audited); what leaves it is a credit_movements row, so what is left on it
 * is always its amount less its movements.
 */
export class CreditGrant {
  id!: string;
  customerId!: string;
  amount!: number;
  source!: GrantSource;
  priority: Opt<number> = 0;
  effectiveAt!: Date;
  expiresAt?: Date | null;
  /**
   * What the grant came from, once: `checkout:<session>`, `topup:<crossing>`, `admin:<request>`. A second
   * delivery of the same payment finds the grant already there.
   */
  sourceKey!: string;
  packId?: string | null;
  /** The Stripe object that paid for it (a PaymentIntent), when one did. */
  stripeObjectId?: string | null;
  reason?: string | null;
  /** Who granted it, for admin and promotion grants. */
  actor?: string | null;
  createdAt: Opt<Date> = new Date();
}

export const CreditGrantSchema = new EntitySchema<CreditGrant>({
  class: CreditGrant,
  tableName: 'credit_grants',
  indexes: [{ properties: ['customerId', 'createdAt'] }, { properties: ['stripeObjectId'] }],
  properties: {
    id: { type: 'string', primary: true, length: 40 },
    customerId: { type: 'string', length: 40 },
    amount: { type: 'integer' },
    source: { type: 'string', length: 16 },
    priority: { type: 'integer', default: 0 },
    effectiveAt: { type: 'Date' },
    expiresAt: { type: 'Date', nullable: true },
    sourceKey: { type: 'string', length: 200, unique: true },
    packId: { type: 'string', length: 40, nullable: true },
    stripeObjectId: { type: 'string', length: 100, nullable: true },
    reason: { type: 'text', nullable: true },
    actor: { type: 'string', nullable: true },
    createdAt: { type: 'Date' },
  },
});
