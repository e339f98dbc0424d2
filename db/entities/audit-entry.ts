import { EntitySchema, type Opt } from '@mikro-orm/core';

/** Who changed what, with the value before and after; written for every admin write. */
export class AuditEntry {
  id!: string;
  actorId!: string;
  actorEmail?: string | null;
  action!: string;
  entityType!: string;
  entityId!: string;
  before?: unknown;
  after?: unknown;
  createdAt: Opt<Date> = new Date();
}

export const AuditEntrySchema = new EntitySchema<AuditEntry>({
  class: AuditEntry,
  tableName: 'audit_log',
  indexes: [{ properties: ['entityType', 'entityId'] }, { properties: ['createdAt'] }],
  properties: {
    id: { type: 'string', primary: true, length: 40 },
    actorId: { type: 'string' },
    actorEmail: { type: 'string', nullable: true },
    action: { type: 'string' },
    entityType: { type: 'string', length: 32 },
    entityId: { type: 'string' },
    before: { type: 'json', nullable: true },
    after: { type: 'json', nullable: true },
    createdAt: { type: 'Date' },
  },
});
