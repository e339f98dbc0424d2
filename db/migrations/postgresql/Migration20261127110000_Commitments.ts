import { Migration } from '@mikro-orm/migrations';

/** Minimum commitments: each customer's, and each period one was settled for. */
export class Migration20261127110000_Commitments extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create table "commitments" ("id" varchar(40) not null, "customer_id" varchar(40) not null, "subscription_id" varchar(40) not null, "minimum_cents" int not null, "currency" varchar(3) not null, "starts_at" timestamptz not null, "ended_at" timestamptz null, "live_for" varchar(40) null, "created_by" varchar(320) not null, "created_at" timestamptz not null, constraint "commitments_pkey" primary key ("id"));`);
    this.addSql(`create index "commitments_customer_id_created_at_index" on "commitments" ("customer_id", "created_at");`);
    this.addSql(`alter table "commitments" add constraint "commitments_live_for_unique" unique ("live_for");`);
    this.addSql(`create index "commitments_subscription_id_ended_at_index" on "commitments" ("subscription_id", "ended_at");`);

    this.addSql(`create table "commitment_periods" ("id" varchar(40) not null, "commitment_id" varchar(40) not null, "customer_id" varchar(40) not null, "period_start" timestamptz not null, "period_end" timestamptz not null, "minimum_cents" int not null, "consumed_cents" int not null, "true_up_cents" int not null, "currency" varchar(3) not null, "stripe_invoice_id" varchar(100) null, "created_at" timestamptz not null, constraint "commitment_periods_pkey" primary key ("id"));`);
    this.addSql(`create index "commitment_periods_customer_id_period_start_index" on "commitment_periods" ("customer_id", "period_start");`);
    this.addSql(`alter table "commitment_periods" add constraint "commitment_periods_commitment_id_period_start_unique" unique ("commitment_id", "period_start");`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists "commitments" cascade;`);
    this.addSql(`drop table if exists "commitment_periods" cascade;`);
  }

}
