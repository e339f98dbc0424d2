import { Migration } from '@mikro-orm/migrations';

/**
 * Plan migrations and their rehearsals as durable runs: one row per run, one per subscription it moved (or
 * would move) or could not move.
 */
export class Migration20261128060000_PlanMigrations extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create table "plan_migrations" ("id" varchar(40) not null, "kind" varchar(16) not null default 'migration', "rehearsal_id" varchar(40) null, "summary" jsonb null, "plan_code" varchar(255) not null, "to_version" int not null, "when" varchar(16) not null, "status" varchar(16) not null, "candidates" int not null, "started_by_id" varchar(320) not null, "started_by_email" varchar(320) null, "created_at" timestamptz not null, "finished_at" timestamptz null, constraint "plan_migrations_pkey" primary key ("id"));`);
    this.addSql(`create index "plan_migrations_plan_code_created_at_index" on "plan_migrations" ("plan_code", "created_at");`);
    this.addSql(`create table "plan_migration_items" ("migration_id" varchar(40) not null, "subscription_id" varchar(40) not null, "from_version" int not null, "outcome" varchar(16) not null, "result" varchar(16) null, "reason" varchar(500) null, "amount_cents" int not null, "new_amount_cents" int null, "detail" jsonb null, "recorded_at" timestamptz not null, constraint "plan_migration_items_pkey" primary key ("migration_id", "subscription_id"));`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists "plan_migration_items" cascade;`);
    this.addSql(`drop table if exists "plan_migrations" cascade;`);
  }

}
