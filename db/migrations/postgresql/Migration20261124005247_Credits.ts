import { Migration } from '@mikro-orm/migrations';

/**
 * Prepaid credits, spend caps and alerts (issue 29): credit packs, the ledger of grants and movements (a
 * balance is never stored, only summed), each customer's settings, one row per auto top-up crossing, the
 * outbox of business events, and on usage_events the units prepaid credits covered.
 */
export class Migration20261124005247_Credits extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create table "billing_events" ("id" varchar(40) not null, "customer_id" varchar(40) null, "type" varchar(48) not null, "payload" jsonb not null, "dedupe_key" varchar(200) not null, "created_at" timestamptz not null, "published_at" timestamptz null, constraint "billing_events_pkey" primary key ("id"));`);
    this.addSql(`alter table "billing_events" add constraint "billing_events_dedupe_key_unique" unique ("dedupe_key");`);
    this.addSql(`create index "billing_events_published_at_created_at_index" on "billing_events" ("published_at", "created_at");`);
    this.addSql(`create index "billing_events_customer_id_created_at_index" on "billing_events" ("customer_id", "created_at");`);

    this.addSql(`create table "credit_grants" ("id" varchar(40) not null, "customer_id" varchar(40) not null, "amount" int not null, "source" varchar(16) not null, "priority" int not null default 0, "effective_at" timestamptz not null, "expires_at" timestamptz null, "source_key" varchar(200) not null, "pack_id" varchar(40) null, "stripe_object_id" varchar(100) null, "reason" text null, "actor" varchar(255) null, "created_at" timestamptz not null, constraint "credit_grants_pkey" primary key ("id"));`);
    this.addSql(`alter table "credit_grants" add constraint "credit_grants_source_key_unique" unique ("source_key");`);
    this.addSql(`create index "credit_grants_customer_id_created_at_index" on "credit_grants" ("customer_id", "created_at");`);
    this.addSql(`create index "credit_grants_stripe_object_id_index" on "credit_grants" ("stripe_object_id");`);

    this.addSql(`create table "credit_movements" ("id" varchar(40) not null, "customer_id" varchar(40) not null, "grant_id" varchar(40) not null, "kind" varchar(16) not null, "amount" int not null, "at" timestamptz not null, "period_start" timestamptz null, "source_key" varchar(200) null, "reason" text null, "actor" varchar(255) null, "created_at" timestamptz not null, constraint "credit_movements_pkey" primary key ("id"));`);
    this.addSql(`alter table "credit_movements" add constraint "credit_movements_source_key_unique" unique ("source_key");`);
    this.addSql(`create index "credit_movements_customer_id_at_index" on "credit_movements" ("customer_id", "at");`);
    this.addSql(`create index "credit_movements_grant_id_index" on "credit_movements" ("grant_id");`);
    this.addSql(`create index "credit_movements_customer_id_period_start_index" on "credit_movements" ("customer_id", "period_start");`);

    this.addSql(`create table "credit_packs" ("id" varchar(40) not null, "code" varchar(64) not null, "name" varchar(255) not null, "credits" int not null, "price_cents" int not null, "currency" varchar(3) not null default 'usd', "plan_codes" jsonb not null, "expires_after_days" int null, "active" boolean not null default true, "sort_order" int not null default 0, "created_at" timestamptz not null, "updated_at" timestamptz not null, constraint "credit_packs_pkey" primary key ("id"));`);
    this.addSql(`alter table "credit_packs" add constraint "credit_packs_code_unique" unique ("code");`);

    this.addSql(`create table "credit_settings" ("customer_id" varchar(40) not null, "auto_top_up_enabled" boolean not null default false, "auto_top_up_threshold" int null, "auto_top_up_pack_id" varchar(40) null, "auto_top_up_note" text null, "spend_cap_cents" int null, "spend_cap_mode" varchar(8) not null default 'block', "spend_cap_max_cents" int null, "alert_included_percent" int null, "alert_balance_below" int null, "alert_overage_cents" int null, "updated_at" timestamptz not null, constraint "credit_settings_pkey" primary key ("customer_id"));`);

    this.addSql(`create table "credit_top_ups" ("id" varchar(40) not null, "customer_id" varchar(40) not null, "crossing_key" varchar(200) not null, "pack_id" varchar(40) not null, "threshold" int not null, "balance_at_crossing" int not null, "status" varchar(16) not null default 'pending', "attempts" int not null default 0, "payment_intent_id" varchar(100) null, "grant_id" varchar(40) null, "error" text null, "created_at" timestamptz not null, "updated_at" timestamptz not null, constraint "credit_top_ups_pkey" primary key ("id"));`);
    this.addSql(`alter table "credit_top_ups" add constraint "credit_top_ups_crossing_key_unique" unique ("crossing_key");`);
    this.addSql(`create index "credit_top_ups_status_created_at_index" on "credit_top_ups" ("status", "created_at");`);
    this.addSql(`create index "credit_top_ups_customer_id_created_at_index" on "credit_top_ups" ("customer_id", "created_at");`);

    this.addSql(`alter table "plans" add column "prepaid_only" boolean not null default false, add column "alert_defaults" jsonb not null default '{}';`);

    this.addSql(`alter table "usage_events" add column "prepaid" int not null default 0;`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists "billing_events" cascade;`);

    this.addSql(`drop table if exists "credit_grants" cascade;`);

    this.addSql(`drop table if exists "credit_movements" cascade;`);

    this.addSql(`drop table if exists "credit_packs" cascade;`);

    this.addSql(`drop table if exists "credit_settings" cascade;`);

    this.addSql(`drop table if exists "credit_top_ups" cascade;`);

    this.addSql(`alter table "plans" drop column "prepaid_only", drop column "alert_defaults";`);

    this.addSql(`alter table "usage_events" drop column "prepaid";`);
  }

}
