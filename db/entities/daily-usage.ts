import { EntitySchema, type Opt } from '@mikro-orm/core';

/**
 * Per customer, UTC day and usage type, moved in the transaction that stores the events: what quota
 * checks read (`quantity - forgiven`) and what the usage view sums over a period (`quantity` and
 * `byokQuantity`), so neither adds up the events themselves.
 */
export class DailyUsage {
  customerId!: string;
  day!: string;
  type!: string;
  /** Units of the stored events that count (not BYOK). */
  quantity: Opt<number> = 0;
  /** Of those, units an operator's reset let off the daily quota; still stored, still billed. */
  forgiven: Opt<number> = 0;
  /** Units of the stored BYOK events: shown, never counted or billed. */
  byokQuantity: Opt<number> = 0;
}

export const DailyUsageSchema = new EntitySchema<DailyUsage>({
  class: DailyUsage,
  tableName: 'daily_usage',
  properties: {
    customerId: { type: 'string', primary: true, length: 40 },
    day: { type: 'string', primary: true, length: 10 },
    type: { type: 'string', primary: true, length: 32 },
    quantity: { type: 'integer' },
    forgiven: { type: 'integer' },
    byokQuantity: { type: 'integer' },
  },
});
