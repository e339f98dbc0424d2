import { EntitySchema, type Opt } from '@mikro-orm/core';
import type { RehearsalDetail, RehearsalSummary } from '../../domain/plan-migration';

/**
 * One run of a plan's migration onto its current version (workflows/plan-migration.ts): who started it,
 * how many live subscribers of older versions it found, and when it finished. What happened to each
 * subscription is in `plan_migration_items`.
 */
export class PlanMigration {
  id!: string;
  /** A rehearsal works out every move and makes none; a migration makes them. */
  kind: Opt<'migration' | 'rehearsal'> = 'migration';
  /** The rehearsal an admin approved into this migration, whose moves it is compared with. */
  rehearsalId?: string | null;
  /** A finished rehearsal's totals (domain/plan-migration.ts rehearsalSummary). */
  summary?: RehearsalSummary | null;
  planCode!: string;
  toVersion!: number;
  when!: 'now' | 'period_end';
  status!: 'running' | 'completed';
  /** The live subscribers of older versions when it began: the progress bar's whole. */
  candidates!: number;
  startedById!: string;
  startedByEmail?: string | null;
  createdAt: Opt<Date> = new Date();
  finishedAt?: Date | null;
}

/** What a migration did to one subscription; written once per subscription, so a retried batch adds none. */
export class PlanMigrationItem {
  migrationId!: string;
  subscriptionId!: string;
  fromVersion!: number;
  outcome!: 'moved' | 'failed';
  /** For a move: `scheduled` (at period end) or `applied` (now). */
  result?: 'scheduled' | 'applied' | null;
  /** For a failure: the refusal's text (a validator's reason, or why the price could not be had). */
  reason?: string | null;
  amountCents!: number;
  newAmountCents?: number | null;
  /** A rehearsal's worked-out move: invoices, proration, revenue, credits, entitlements, Stripe calls. */
  detail?: RehearsalDetail | null;
  recordedAt: Opt<Date> = new Date();
}

export const PlanMigrationSchema = new EntitySchema<PlanMigration>({
  class: PlanMigration,
  tableName: 'plan_migrations',
  indexes: [{ properties: ['planCode', 'createdAt'] }],
  properties: {
    id: { type: 'string', primary: true, length: 40 },
    kind: { type: 'string', length: 16 },
    rehearsalId: { type: 'string', length: 40, nullable: true },
    summary: { type: 'json', nullable: true },
    planCode: { type: 'string' },
    toVersion: { type: 'integer' },
    when: { type: 'string', length: 16 },
    status: { type: 'string', length: 16 },
    candidates: { type: 'integer' },
    startedById: { type: 'string', length: 320 },
    startedByEmail: { type: 'string', length: 320, nullable: true },
    createdAt: { type: 'Date' },
    finishedAt: { type: 'Date', nullable: true },
  },
});

export const PlanMigrationItemSchema = new EntitySchema<PlanMigrationItem>({
  class: PlanMigrationItem,
  tableName: 'plan_migration_items',
  properties: {
    migrationId: { type: 'string', primary: true, length: 40 },
    subscriptionId: { type: 'string', primary: true, length: 40 },
    fromVersion: { type: 'integer' },
    outcome: { type: 'string', length: 16 },
    result: { type: 'string', length: 16, nullable: true },
    reason: { type: 'string', length: 500, nullable: true },
    amountCents: { type: 'integer' },
    newAmountCents: { type: 'integer', nullable: true },
    detail: { type: 'json', nullable: true },
    recordedAt: { type: 'Date' },
  },
});
