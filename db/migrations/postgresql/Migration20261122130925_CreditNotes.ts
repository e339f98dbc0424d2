import { Migration } from '@mikro-orm/migrations';

export class Migration20261122130925_CreditNotes extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create table "leases" ("name" varchar(200) not null, "holder" varchar(300) not null, "expires_at" timestamptz not null, constraint "leases_pkey" primary key ("name"));`);

    this.addSql(`create table "credit_notes" ("id" varchar(40) not null, "stripe_credit_note_id" varchar(255) not null, "customer_id" varchar(40) not null, "invoice_id" varchar(40) null, "stripe_invoice_id" varchar(255) not null, "number" varchar(255) null, "amount_cents" int not null, "refunded_cents" int not null default 0, "credited_cents" int not null, "currency" varchar(3) not null default 'usd', "type" varchar(16) not null, "status" varchar(16) not null, "reason" varchar(32) null, "memo" text null, "created_at" timestamptz not null, "voided_at" timestamptz null, constraint "credit_notes_pkey" primary key ("id"));`);
    this.addSql(`alter table "credit_notes" add constraint "credit_notes_stripe_credit_note_id_unique" unique ("stripe_credit_note_id");`);
    this.addSql(`create index "credit_notes_customer_id_index" on "credit_notes" ("customer_id");`);
    this.addSql(`create index "credit_notes_stripe_invoice_id_index" on "credit_notes" ("stripe_invoice_id");`);
    this.addSql(`create index "credit_notes_created_at_currency_index" on "credit_notes" ("created_at", "currency");`);

    this.addSql(`alter table "credit_notes" add constraint "credit_notes_customer_id_foreign" foreign key ("customer_id") references "customers" ("id") on update cascade;`);
    this.addSql(`alter table "credit_notes" add constraint "credit_notes_invoice_id_foreign" foreign key ("invoice_id") references "invoices" ("id") on update cascade on delete set null;`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists "leases" cascade;`);

    this.addSql(`drop table if exists "credit_notes" cascade;`);
  }

}
