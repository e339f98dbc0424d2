import { EntitySchema, type Opt } from '@mikro-orm/core';

/** What one override changes: exactly one of these (domain/entitlements.ts EntitlementOverride). */
export interface OverrideChange {
  grant?: boolean;
  limit?: number | null;
  amount?: number | null;
}

/**
 * An admin's change to one customer's entitlement: a feature granted or taken away, a limit or allowance
 * set, until `expiresAt` (or for good), with the reason and who did it. Removing one stamps `removedAt`:
 * the history of who had what stays.
 */
export class EntitlementOverrideRow {
  id!: string;
  customerId!: string;
  feature!: string;
  change!: OverrideChange;
  expiresAt?: Date | null;
  reason!: string;
  actor!: string;
  createdAt: Opt<Date> = new Date();
  removedAt?: Date | null;
  removedBy?: string | null;
}

export const EntitlementOverrideSchema = new EntitySchema<EntitlementOverrideRow>({
  class: EntitlementOverrideRow,
  tableName: 'entitlement_overrides',
  indexes: [{ properties: ['customerId', 'removedAt'] }],
  properties: {
    id: { type: 'string', primary: true, length: 40 },
    customerId: { type: 'string', length: 40 },
    feature: { type: 'string', length: 64 },
    change: { type: 'json' },
    expiresAt: { type: 'Date', nullable: true },
    reason: { type: 'string', length: 500 },
    actor: { type: 'string', length: 255 },
    createdAt: { type: 'Date' },
    removedAt: { type: 'Date', nullable: true },
    removedBy: { type: 'string', length: 255, nullable: true },
  },
});
