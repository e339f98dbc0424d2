import { EntitySchema, type Opt } from '@mikro-orm/core';
import type { MovementKind } from '../../domain/credit-ledger';

/** Credits taken out of one grant: drawn by usage, expired, or voided (an admin, a refund). */
export class CreditMovement {
  id!: string;
  customerId!: string;
  grantId!: string;
  kind!: MovementKind;
  /** A positive integer. */
  amount!: number;
  at!: Date;
  /**
   * For draws: the billing period they were drawn in. Draws add up in one row per grant, period and UTC
   * day (sourceKey `draw:<grant>:<period start>:<day>`), so the rows grow with days, not with reports.
   */
  periodStart?: Date | null;
  /** Unique: a retried expiry, void or day's draw finds its row already there. */
  sourceKey?: string | null;
  reason?: string | null;
  actor?: string | null;
  createdAt: Opt<Date> = new Date();
}

export const CreditMovementSchema = new EntitySchema<CreditMovement>({
  class: CreditMovement,
  tableName: 'credit_movements',
  indexes: [
    { properties: ['customerId', 'at'] },
    { properties: ['grantId'] },
    { properties: ['customerId', 'periodStart'] },
  ],
  properties: {
    id: { type: 'string', primary: true, length: 40 },
    customerId: { type: 'string', length: 40 },
    grantId: { type: 'string', length: 40 },
    kind: { type: 'string', length: 16 },
    amount: { type: 'integer' },
    at: { type: 'Date' },
    periodStart: { type: 'Date', nullable: true },
    sourceKey: { type: 'string', length: 200, nullable: true, unique: true },
    reason: { type: 'text', nullable: true },
    actor: { type: 'string', nullable: true },
    createdAt: { type: 'Date' },
  },
});
