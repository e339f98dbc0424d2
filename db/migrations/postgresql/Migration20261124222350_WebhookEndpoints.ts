import { Migration } from '@mikro-orm/migrations';

/**
 * Outgoing webhooks (issue 30): the endpoints (secret encrypted), one delivery per event and endpoint,
 * and the log of every attempt.
 */
export class Migration20261124222350_WebhookEndpoints extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create table "webhook_attempts" ("id" varchar(40) not null, "delivery_id" varchar(40) not null, "endpoint_id" varchar(40) not null, "at" timestamptz not null, "manual" boolean not null default false, "ok" boolean not null, "status_code" int null, "latency_ms" int not null, "error" varchar(300) null, "response_excerpt" text null, constraint "webhook_attempts_pkey" primary key ("id"));`);
    this.addSql(`create index "webhook_attempts_delivery_id_at_index" on "webhook_attempts" ("delivery_id", "at");`);

    this.addSql(`create table "webhook_deliveries" ("id" varchar(40) not null, "event_id" varchar(40) not null, "endpoint_id" varchar(40) not null, "queue_key" varchar(40) not null, "event_type" varchar(48) not null, "event_created_at" timestamptz not null, "status" varchar(16) not null default 'pending', "attempts" int not null default 0, "first_attempt_at" timestamptz null, "last_attempt_at" timestamptz null, "next_attempt_at" timestamptz null, "delivered_at" timestamptz null, "created_at" timestamptz not null, constraint "webhook_deliveries_pkey" primary key ("id"));`);
    this.addSql(`create index "webhook_deliveries_endpoint_id_queue_key_status_ev_1f2e6_index" on "webhook_deliveries" ("endpoint_id", "queue_key", "status", "event_created_at");`);
    this.addSql(`create index "webhook_deliveries_status_next_attempt_at_index" on "webhook_deliveries" ("status", "next_attempt_at");`);
    this.addSql(`create index "webhook_deliveries_endpoint_id_created_at_index" on "webhook_deliveries" ("endpoint_id", "created_at");`);
    this.addSql(`alter table "webhook_deliveries" add constraint "webhook_deliveries_event_id_endpoint_id_unique" unique ("event_id", "endpoint_id");`);

    this.addSql(`create table "webhook_endpoints" ("id" varchar(40) not null, "url" text not null, "description" varchar(200) null, "event_types" jsonb not null, "enabled" boolean not null default true, "secret_ciphertext" text not null, "secret_nonce" varchar(40) not null, "secret_key_version" int not null, "failing_since" timestamptz null, "disabled_at" timestamptz null, "disabled_reason" varchar(300) null, "disabled_mail_sent_at" timestamptz null, "created_at" timestamptz not null, "updated_at" timestamptz not null, constraint "webhook_endpoints_pkey" primary key ("id"));`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists "webhook_attempts" cascade;`);

    this.addSql(`drop table if exists "webhook_deliveries" cascade;`);

    this.addSql(`drop table if exists "webhook_endpoints" cascade;`);
  }

}
