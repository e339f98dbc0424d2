import { Migration } from '@mikro-orm/migrations';

export class Migration20261122000003_HistoryAndIndexes extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create table "subscription_changes" ("id" varchar(40) not null, "subscription_id" varchar(40) not null, "customer_id" varchar(40) not null, "currency" varchar(3) not null, "at" timestamptz not null, "old_amount_cents" int null, "new_amount_cents" int not null, "old_interval" varchar(8) null, "new_interval" varchar(8) not null, "old_status" varchar(16) null, "new_status" varchar(16) not null, "old_tier" varchar(255) null, "new_tier" varchar(255) not null, constraint "subscription_changes_pkey" primary key ("id"));`);
    this.addSql(`create index "subscription_changes_subscription_id_index" on "subscription_changes" ("subscription_id");`);
    this.addSql(`create index "subscription_changes_revenue_index" on "subscription_changes" ("at", "currency", "customer_id", "subscription_id", "old_status", "new_status", "old_interval", "new_interval", "old_amount_cents", "new_amount_cents");`);
    this.addSql(`create index "subscription_changes_customer_id_at_index" on "subscription_changes" ("customer_id", "at");`);

    this.addSql(`create table "usage_types" ("code" varchar(32) not null, "description" varchar(255) null, "created_by" varchar(255) not null, "created_at" timestamptz not null, constraint "usage_types_pkey" primary key ("code"));`);

    this.addSql(`alter table "subscription_changes" add constraint "subscription_changes_subscription_id_foreign" foreign key ("subscription_id") references "subscriptions" ("id") on update cascade;`);

    this.addSql(`create index "customers_created_at_index" on "customers" ("created_at");`);

    this.addSql(`alter table "provider_keys" add column "label" varchar(100) null;`);

    this.addSql(`drop index "subscriptions_status_index";`);

    this.addSql(`alter table "subscriptions" add column "arr_cents" int not null default 0;`);
    this.addSql(`create index "subscriptions_status_currency_customer_id_arr_cents_index" on "subscriptions" ("status", "currency", "customer_id", "arr_cents");`);
    this.addSql(`create index "subscriptions_created_at_index" on "subscriptions" ("created_at");`);

    this.addSql(`create index "invoices_paid_at_currency_amount_paid_cents_index" on "invoices" ("paid_at", "currency", "amount_paid_cents");`);

    this.addSql(`alter table "webhook_events" add column "payload" text null, add column "forwarded_at" timestamptz null;`);
    this.addSql(`create index "webhook_events_forwarded_at_received_at_index" on "webhook_events" ("forwarded_at", "received_at");`);
    // Subscriptions mirrored before this column existed: their ARR from what they pay now.
    this.addSql(`update subscriptions set arr_cents = case when status in ('active', 'past_due') then case when "interval" = 'year' then amount_cents else amount_cents * 12 end else 0 end;`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists "subscription_changes" cascade;`);

    this.addSql(`drop table if exists "usage_types" cascade;`);

    this.addSql(`drop index "customers_created_at_index";`);

    this.addSql(`drop index "invoices_paid_at_currency_amount_paid_cents_index";`);

    this.addSql(`alter table "provider_keys" drop column "label";`);

    this.addSql(`drop index "subscriptions_status_currency_customer_id_arr_cents_index";`);
    this.addSql(`drop index "subscriptions_created_at_index";`);
    this.addSql(`alter table "subscriptions" drop column "arr_cents";`);

    this.addSql(`create index "subscriptions_status_index" on "subscriptions" ("status");`);

    this.addSql(`drop index "webhook_events_forwarded_at_received_at_index";`);
    this.addSql(`alter table "webhook_events" drop column "payload", drop column "forwarded_at";`);
  }

}
