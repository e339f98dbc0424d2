import { Migration } from '@mikro-orm/migrations';

export class Migration20261123033734_DailyUsageTotals extends Migration {

  override async up(): Promise<void> {
    this.addSql(`alter table \`daily_usage\` add column \`forgiven\` integer not null default 0;`);
    this.addSql(`alter table \`daily_usage\` add column \`byok_quantity\` integer not null default 0;`);
    // The counters from the stored events: units an operator's reset took off (the reset deleted the
    // day's rows) come back as counted and forgiven, and BYOK units are counted apart.
    this.addSql(`insert into daily_usage (customer_id, day, type, quantity, forgiven, byok_quantity)
      select customer_id, strftime('%Y-%m-%d', occurred_at / 1000, 'unixepoch'), type,
             sum(case when byok then 0 else quantity end), sum(case when byok then 0 else quantity end),
             sum(case when byok then quantity else 0 end)
        from usage_events where true group by 1, 2, 3
      on conflict (customer_id, day, type) do update set
        forgiven = max(excluded.quantity - daily_usage.quantity, 0),
        quantity = max(excluded.quantity, daily_usage.quantity),
        byok_quantity = excluded.byok_quantity;`);
  }

}
