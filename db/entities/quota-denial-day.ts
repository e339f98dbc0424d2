import { EntitySchema, type Opt } from '@mikro-orm/core';

/**
 * Requests refused because the daily quota was spent, counted per UTC day, plan and where (`report` for
 * report_usage, `check_access`). The API's telemetry counter is the one place a denial is counted; its
 * increases are added here every few seconds, so the console shows denials per day across restarts.
 */
export class QuotaDenialDay {
  day!: string;
  plan!: string;
  site!: string;
  count: Opt<number> = 0;
}

export const QuotaDenialDaySchema = new EntitySchema<QuotaDenialDay>({
  class: QuotaDenialDay,
  tableName: 'quota_denials',
  properties: {
    day: { type: 'string', primary: true, length: 10 },
    plan: { type: 'string', primary: true, length: 64 },
    site: { type: 'string', primary: true, length: 16 },
    count: { type: 'integer' },
  },
});
