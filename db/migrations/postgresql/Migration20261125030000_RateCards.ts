import { Migration } from '@mikro-orm/migrations';

/**
 * Rate cards (issue 31): a plan version's usage prices by type and dimension, and the line and billing
 * period each usage rollup was rated under.
 */
export class Migration20261125030000_RateCards extends Migration {

  override async up(): Promise<void> {
    this.addSql(`alter table "plans" add column "rate_card" jsonb not null default '[]';`);
    this.addSql(`alter table "usage_rollups" add column "line_key" varchar(255) not null default '*';`);
    this.addSql(`alter table "usage_rollups" add column "period_start" timestamptz null;`);
    this.addSql(`create index "usage_rollups_customer_id_period_start_index" on "usage_rollups" ("customer_id", "period_start");`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop index "usage_rollups_customer_id_period_start_index";`);
    this.addSql(`alter table "usage_rollups" drop column "period_start";`);
    this.addSql(`alter table "usage_rollups" drop column "line_key";`);
    this.addSql(`alter table "plans" drop column "rate_card";`);
  }

}
