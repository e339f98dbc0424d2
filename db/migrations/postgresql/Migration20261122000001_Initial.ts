import { Migration } from '@mikro-orm/migrations';

export class Migration20261122000001_Initial extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create table "audit_log" ("id" varchar(40) not null, "actor_id" varchar(255) not null, "actor_email" varchar(255) null, "action" varchar(255) not null, "entity_type" varchar(32) not null, "entity_id" varchar(255) not null, "before" jsonb null, "after" jsonb null, "created_at" timestamptz not null, constraint "audit_log_pkey" primary key ("id"));`);
    this.addSql(`create index "audit_log_entity_type_entity_id_index" on "audit_log" ("entity_type", "entity_id");`);
    this.addSql(`create index "audit_log_created_at_index" on "audit_log" ("created_at");`);

    this.addSql(`create table "customers" ("id" varchar(40) not null, "user_id" varchar(255) not null, "email" varchar(255) not null, "name" varchar(255) null, "roles" jsonb not null, "keycloak_id" varchar(255) null, "stripe_customer_id" varchar(255) null, "lago_customer_id" varchar(255) null, "created_at" timestamptz not null, "updated_at" timestamptz not null, constraint "customers_pkey" primary key ("id"));`);
    this.addSql(`alter table "customers" add constraint "customers_user_id_unique" unique ("user_id");`);
    this.addSql(`alter table "customers" add constraint "customers_email_unique" unique ("email");`);
    this.addSql(`alter table "customers" add constraint "customers_stripe_customer_id_unique" unique ("stripe_customer_id");`);

    this.addSql(`create table "daily_usage" ("customer_id" varchar(40) not null, "day" varchar(10) not null, "type" varchar(32) not null, "quantity" int not null default 0, constraint "daily_usage_pkey" primary key ("customer_id", "day", "type"));`);

    this.addSql(`create table "notifications" ("id" varchar(40) not null, "customer_id" varchar(40) not null, "email" varchar(255) not null, "kind" varchar(48) not null, "dedupe_key" varchar(255) not null, "payload" jsonb not null, "created_at" timestamptz not null, "sent_at" timestamptz null, "error" text null, constraint "notifications_pkey" primary key ("id"));`);
    this.addSql(`create index "notifications_customer_id_index" on "notifications" ("customer_id");`);
    this.addSql(`alter table "notifications" add constraint "notifications_dedupe_key_unique" unique ("dedupe_key");`);

    this.addSql(`create table "payment_methods" ("id" varchar(40) not null, "stripe_payment_method_id" varchar(255) not null, "customer_id" varchar(40) not null, "type" varchar(32) not null default 'card', "brand" varchar(255) null, "last4" varchar(4) null, "exp_month" int null, "exp_year" int null, "is_default" boolean not null default false, "detached_at" timestamptz null, "created_at" timestamptz not null, constraint "payment_methods_pkey" primary key ("id"));`);
    this.addSql(`alter table "payment_methods" add constraint "payment_methods_stripe_payment_method_id_unique" unique ("stripe_payment_method_id");`);
    this.addSql(`create index "payment_methods_customer_id_index" on "payment_methods" ("customer_id");`);

    this.addSql(`create table "plans" ("id" varchar(40) not null, "code" varchar(255) not null, "version" int not null default 1, "is_current" boolean not null default true, "status" varchar(16) not null default 'active', "name" varchar(255) not null, "display_name" varchar(255) not null, "description" text null, "currency" varchar(3) not null default 'usd', "price_monthly_cents" int not null, "price_yearly_cents" int null, "trial_days" int not null default 0, "services" jsonb not null, "features" jsonb not null, "included_credits" int not null default 0, "overage_per1k_cents" int not null default 0, "daily_api_calls" int null, "sort_order" int not null default 0, "stripe_product_id" varchar(255) null, "stripe_price_monthly_id" varchar(255) null, "stripe_price_yearly_id" varchar(255) null, "created_at" timestamptz not null, "updated_at" timestamptz not null, constraint "plans_pkey" primary key ("id"));`);
    this.addSql(`create index "plans_code_index" on "plans" ("code");`);
    this.addSql(`alter table "plans" add constraint "plans_code_version_unique" unique ("code", "version");`);

    this.addSql(`create table "provider_keys" ("id" varchar(40) not null, "customer_id" varchar(40) not null, "provider" varchar(32) not null, "ciphertext" text not null, "nonce" varchar(32) not null, "key_hint" varchar(8) not null, "key_version" int not null default 1, "last_tested_at" timestamptz null, "last_test_result" varchar(255) null, "created_at" timestamptz not null, "updated_at" timestamptz not null, constraint "provider_keys_pkey" primary key ("id"));`);
    this.addSql(`alter table "provider_keys" add constraint "provider_keys_customer_id_provider_unique" unique ("customer_id", "provider");`);

    this.addSql(`create table "subscriptions" ("id" varchar(40) not null, "customer_id" varchar(40) not null, "plan_id" varchar(40) not null, "tier" varchar(255) not null, "status" varchar(16) not null default 'incomplete', "interval" varchar(8) not null default 'month', "amount_cents" int not null, "currency" varchar(3) not null default 'usd', "stripe_subscription_id" varchar(255) null, "stripe_subscription_item_id" varchar(255) null, "stripe_price_id" varchar(255) null, "current_period_start" timestamptz null, "current_period_end" timestamptz null, "trial_start" timestamptz null, "trial_end" timestamptz null, "cancel_at_period_end" boolean not null default false, "canceled_at" timestamptz null, "ended_at" timestamptz null, "paused_at" timestamptz null, "stripe_updated_at" timestamptz null, "created_at" timestamptz not null, "updated_at" timestamptz not null, constraint "subscriptions_pkey" primary key ("id"));`);
    this.addSql(`create index "subscriptions_customer_id_index" on "subscriptions" ("customer_id");`);
    this.addSql(`alter table "subscriptions" add constraint "subscriptions_stripe_subscription_id_unique" unique ("stripe_subscription_id");`);
    this.addSql(`create index "subscriptions_status_index" on "subscriptions" ("status");`);
    this.addSql(`create index "subscriptions_tier_index" on "subscriptions" ("tier");`);

    this.addSql(`create table "invoices" ("id" varchar(40) not null, "stripe_invoice_id" varchar(255) not null, "customer_id" varchar(40) not null, "subscription_id" varchar(40) null, "number" varchar(255) null, "status" varchar(16) not null, "currency" varchar(3) not null default 'usd', "subtotal_cents" int not null default 0, "total_cents" int not null default 0, "amount_due_cents" int not null default 0, "amount_paid_cents" int not null default 0, "billing_reason" varchar(255) null, "attempt_count" int not null default 0, "period_start" timestamptz null, "period_end" timestamptz null, "due_date" timestamptz null, "paid_at" timestamptz null, "hosted_invoice_url" text null, "invoice_pdf" text null, "created_at" timestamptz not null, "updated_at" timestamptz not null, constraint "invoices_pkey" primary key ("id"));`);
    this.addSql(`alter table "invoices" add constraint "invoices_stripe_invoice_id_unique" unique ("stripe_invoice_id");`);
    this.addSql(`create index "invoices_customer_id_created_at_index" on "invoices" ("customer_id", "created_at");`);
    this.addSql(`create index "invoices_status_index" on "invoices" ("status");`);

    this.addSql(`create table "charges" ("id" varchar(40) not null, "stripe_charge_id" varchar(255) not null, "customer_id" varchar(40) not null, "invoice_id" varchar(40) null, "amount_cents" int not null, "amount_refunded_cents" int not null default 0, "currency" varchar(3) not null default 'usd', "status" varchar(16) not null, "paid" boolean not null default false, "refunded" boolean not null default false, "description" varchar(255) null, "failure_code" varchar(255) null, "created_at" timestamptz not null, constraint "charges_pkey" primary key ("id"));`);
    this.addSql(`alter table "charges" add constraint "charges_stripe_charge_id_unique" unique ("stripe_charge_id");`);
    this.addSql(`create index "charges_customer_id_index" on "charges" ("customer_id");`);
    this.addSql(`create index "charges_created_at_index" on "charges" ("created_at");`);

    this.addSql(`create table "usage_events" ("id" varchar(40) not null, "customer_id" varchar(40) not null, "event_id" varchar(255) not null, "type" varchar(32) not null, "quantity" int not null, "occurred_at" timestamptz not null, "received_at" timestamptz not null, "metadata" jsonb not null, "byok" boolean not null default false, "rollup_id" varchar(40) null, constraint "usage_events_pkey" primary key ("id"));`);
    this.addSql(`create index "usage_events_rollup_id_occurred_at_index" on "usage_events" ("rollup_id", "occurred_at");`);
    this.addSql(`create index "usage_events_customer_id_occurred_at_index" on "usage_events" ("customer_id", "occurred_at");`);
    this.addSql(`alter table "usage_events" add constraint "usage_events_customer_id_event_id_unique" unique ("customer_id", "event_id");`);

    this.addSql(`create table "usage_rollups" ("id" varchar(40) not null, "customer_id" varchar(40) not null, "type" varchar(32) not null, "window_start" timestamptz not null, "window_end" timestamptz not null, "quantity" int not null, "identifier" varchar(255) not null, "stripe_reported_at" timestamptz null, "lago_reported_at" timestamptz null, "created_at" timestamptz not null, constraint "usage_rollups_pkey" primary key ("id"));`);
    this.addSql(`alter table "usage_rollups" add constraint "usage_rollups_identifier_unique" unique ("identifier");`);
    this.addSql(`create index "usage_rollups_customer_id_window_start_index" on "usage_rollups" ("customer_id", "window_start");`);

    this.addSql(`create table "webhook_events" ("id" varchar(255) not null, "type" varchar(255) not null, "object_id" varchar(255) null, "stripe_created_at" timestamptz not null, "received_at" timestamptz not null, "workflow_id" varchar(255) null, constraint "webhook_events_pkey" primary key ("id"));`);

    this.addSql(`alter table "payment_methods" add constraint "payment_methods_customer_id_foreign" foreign key ("customer_id") references "customers" ("id") on update cascade;`);

    this.addSql(`alter table "provider_keys" add constraint "provider_keys_customer_id_foreign" foreign key ("customer_id") references "customers" ("id") on update cascade;`);

    this.addSql(`alter table "subscriptions" add constraint "subscriptions_customer_id_foreign" foreign key ("customer_id") references "customers" ("id") on update cascade;`);
    this.addSql(`alter table "subscriptions" add constraint "subscriptions_plan_id_foreign" foreign key ("plan_id") references "plans" ("id") on update cascade;`);

    this.addSql(`alter table "invoices" add constraint "invoices_customer_id_foreign" foreign key ("customer_id") references "customers" ("id") on update cascade;`);
    this.addSql(`alter table "invoices" add constraint "invoices_subscription_id_foreign" foreign key ("subscription_id") references "subscriptions" ("id") on update cascade on delete set null;`);

    this.addSql(`alter table "charges" add constraint "charges_customer_id_foreign" foreign key ("customer_id") references "customers" ("id") on update cascade;`);
    this.addSql(`alter table "charges" add constraint "charges_invoice_id_foreign" foreign key ("invoice_id") references "invoices" ("id") on update cascade on delete set null;`);

    this.addSql(`alter table "usage_events" add constraint "usage_events_customer_id_foreign" foreign key ("customer_id") references "customers" ("id") on update cascade;`);

    this.addSql(`alter table "usage_rollups" add constraint "usage_rollups_customer_id_foreign" foreign key ("customer_id") references "customers" ("id") on update cascade;`);
  }

  override async down(): Promise<void> {
    this.addSql(`alter table "payment_methods" drop constraint "payment_methods_customer_id_foreign";`);

    this.addSql(`alter table "provider_keys" drop constraint "provider_keys_customer_id_foreign";`);

    this.addSql(`alter table "subscriptions" drop constraint "subscriptions_customer_id_foreign";`);

    this.addSql(`alter table "invoices" drop constraint "invoices_customer_id_foreign";`);

    this.addSql(`alter table "charges" drop constraint "charges_customer_id_foreign";`);

    this.addSql(`alter table "usage_events" drop constraint "usage_events_customer_id_foreign";`);

    this.addSql(`alter table "usage_rollups" drop constraint "usage_rollups_customer_id_foreign";`);

    this.addSql(`alter table "subscriptions" drop constraint "subscriptions_plan_id_foreign";`);

    this.addSql(`alter table "invoices" drop constraint "invoices_subscription_id_foreign";`);

    this.addSql(`alter table "charges" drop constraint "charges_invoice_id_foreign";`);

    this.addSql(`drop table if exists "audit_log" cascade;`);

    this.addSql(`drop table if exists "customers" cascade;`);

    this.addSql(`drop table if exists "daily_usage" cascade;`);

    this.addSql(`drop table if exists "notifications" cascade;`);

    this.addSql(`drop table if exists "payment_methods" cascade;`);

    this.addSql(`drop table if exists "plans" cascade;`);

    this.addSql(`drop table if exists "provider_keys" cascade;`);

    this.addSql(`drop table if exists "subscriptions" cascade;`);

    this.addSql(`drop table if exists "invoices" cascade;`);

    this.addSql(`drop table if exists "charges" cascade;`);

    this.addSql(`drop table if exists "usage_events" cascade;`);

    this.addSql(`drop table if exists "usage_rollups" cascade;`);

    this.addSql(`drop table if exists "webhook_events" cascade;`);
  }

}
