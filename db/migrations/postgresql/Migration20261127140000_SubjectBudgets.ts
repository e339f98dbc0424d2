import { Migration } from '@mikro-orm/migrations';

/** Budgets inside an account: each subject's budget, its usage per window, and the subject on each event. */
export class Migration20261127140000_SubjectBudgets extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create table "subject_budgets" ("customer_id" varchar(40) not null, "subject" varchar(100) not null, "per" varchar(8) not null, "limit_units" int not null, "alert_percent" int null, "created_at" timestamptz not null, "updated_at" timestamptz not null, constraint "subject_budgets_pkey" primary key ("customer_id", "subject"));`);

    this.addSql(`create table "subject_usage" ("customer_id" varchar(40) not null, "subject" varchar(100) not null, "window_key" varchar(40) not null, "units" bigint not null default 0, constraint "subject_usage_pkey" primary key ("customer_id", "subject", "window_key"));`);

    this.addSql(`alter table "usage_events" add column "subject" varchar(100) null;`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists "subject_budgets" cascade;`);
    this.addSql(`drop table if exists "subject_usage" cascade;`);
    this.addSql(`alter table "usage_events" drop column "subject";`);
  }

}
