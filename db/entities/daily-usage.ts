import { EntitySchema, type Opt } from '@mikro-orm/core';

/** Per customer, UTC day and usage type: the shared counter that quota checks read and bump. */
export class DailyUsage {
  customerId!: string;
  day!: string;
  type!: string;
  quantity: Opt<number> = 0;
}

export const DailyUsageSchema = new EntitySchema<DailyUsage>({
  class: DailyUsage,
  tableName: 'daily_usage',
  properties: {
    customerId: { type: 'string', primary: true, length: 40 },
    day: { type: 'string', primary: true, length: 10 },
    type: { type: 'string', primary: true, length: 32 },
    quantity: { type: 'integer' },
  },
});
