import { Migration } from '@mikro-orm/migrations';

/** Prepaid commits: paid up front, drawn down by invoices over a term, then expired or rolled over. */
export class Migration20261127180000_PrepaidCommits extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create table "prepaid_commits" ("id" varchar(40) not null, "customer_id" varchar(40) not null, "subscription_id" varchar(40) not null, "amount_cents" int not null, "currency" varchar(3) not null, "periods" int not null, "unused" varchar(16) not null, "status" varchar(16) not null, "starts_at" timestamptz not null, "stripe_invoice_id" varchar(100) null, "credit_transaction_id" varchar(100) null, "funded_at" timestamptz null, "term_ends_at" timestamptz null, "drawn_cents" int null, "expired_cents" int null, "rolled_over_cents" int null, "settled_at" timestamptz null, "live_for" varchar(40) null, "created_by" varchar(320) not null, "created_at" timestamptz not null, constraint "prepaid_commits_pkey" primary key ("id"));`);
    this.addSql(`alter table "prepaid_commits" add constraint "prepaid_commits_live_for_unique" unique ("live_for");`);
    this.addSql(`create index "prepaid_commits_customer_id_created_at_index" on "prepaid_commits" ("customer_id", "created_at");`);
    this.addSql(`create index "prepaid_commits_status_index" on "prepaid_commits" ("status");`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists "prepaid_commits" cascade;`);
  }

}
