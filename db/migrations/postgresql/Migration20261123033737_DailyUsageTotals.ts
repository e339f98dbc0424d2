import { Migration } from '@mikro-orm/migrations';

export class Migration20261123033737_DailyUsageTotals extends Migration {

  override async up(): Promise<void> {
    this.addSql(`alter table "daily_usage" add column "forgiven" int not null default 0, add column "byok_quantity" int not null default 0;`);
    // The counters from the stored events: units an operator's reset took off (the reset deleted the
    // day's rows) come back as counted and forgiven, and BYOK units are counted apart.
    this.addSql(`insert into daily_usage (customer_id, day, type, quantity, forgiven, byok_quantity)
      select customer_id, to_char(occurred_at at time zone 'UTC', 'YYYY-MM-DD'), type,
             coalesce(sum(quantity) filter (where not byok), 0), coalesce(sum(quantity) filter (where not byok), 0),
             coalesce(sum(quantity) filter (where byok), 0)
        from usage_events group by 1, 2, 3
      on conflict (customer_id, day, type) do update set
        forgiven = greatest(excluded.quantity - daily_usage.quantity, 0),
        quantity = greatest(excluded.quantity, daily_usage.quantity),
        byok_quantity = excluded.byok_quantity;`);
  }

  override async down(): Promise<void> {
    this.addSql(`alter table "daily_usage" drop column "forgiven", drop column "byok_quantity";`);
  }

}
