import { BigIntType, EntitySchema, type Opt } from '@mikro-orm/core';
import type { BudgetWindow } from '../../domain/subject-budgets';

/** A customer's budget for one subject of their usage (domain/subject-budgets.ts): one per subject. */
export class SubjectBudgetRow {
  customerId!: string;
  subject!: string;
  per!: BudgetWindow;
  limitUnits!: number;
  alertPercent?: number | null;
  createdAt: Opt<Date> = new Date();
  updatedAt: Opt<Date> = new Date();
}

/**
 * The counted units of each subject a customer's events named, per window (`d:<UTC day>`, `p:<period
 * start>`), moved in the transaction that stores the events: budgets are checked against them, and the
 * customer's subjects view reads them, so neither sums the events themselves.
 */
export class SubjectUsage {
  customerId!: string;
  subject!: string;
  windowKey!: string;
  units: Opt<number> = 0;
}

export const SubjectBudgetSchema = new EntitySchema<SubjectBudgetRow>({
  class: SubjectBudgetRow,
  tableName: 'subject_budgets',
  properties: {
    customerId: { type: 'string', primary: true, length: 40 },
    subject: { type: 'string', primary: true, length: 100 },
    per: { type: 'string', length: 8 },
    limitUnits: { type: 'integer' },
    alertPercent: { type: 'integer', nullable: true },
    createdAt: { type: 'Date' },
    updatedAt: { type: 'Date' },
  },
});

export const SubjectUsageSchema = new EntitySchema<SubjectUsage>({
  class: SubjectUsage,
  tableName: 'subject_usage',
  properties: {
    customerId: { type: 'string', primary: true, length: 40 },
    subject: { type: 'string', primary: true, length: 100 },
    windowKey: { type: 'string', primary: true, length: 40 },
    // A busy subject's period can pass 2^31 units; read back as a number (exact below 2^53).
    units: { type: new BigIntType('number') },
  },
});
