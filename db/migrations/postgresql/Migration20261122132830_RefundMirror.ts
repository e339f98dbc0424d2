import { Migration } from '@mikro-orm/migrations';

export class Migration20261122132830_RefundMirror extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create table "refunds" ("id" varchar(40) not null, "stripe_refund_id" varchar(255) not null, "charge_id" varchar(40) not null, "customer_id" varchar(40) not null, "stripe_invoice_id" varchar(255) null, "amount_cents" int not null, "currency" varchar(3) not null default 'usd', "status" varchar(16) not null, "reason" varchar(64) null, "created_at" timestamptz not null, constraint "refunds_pkey" primary key ("id"));`);
    this.addSql(`alter table "refunds" add constraint "refunds_stripe_refund_id_unique" unique ("stripe_refund_id");`);
    this.addSql(`create index "refunds_charge_id_index" on "refunds" ("charge_id");`);
    this.addSql(`create index "refunds_customer_id_index" on "refunds" ("customer_id");`);
    this.addSql(`create index "refunds_stripe_invoice_id_index" on "refunds" ("stripe_invoice_id");`);
    this.addSql(`create index "refunds_created_at_currency_index" on "refunds" ("created_at", "currency");`);

    this.addSql(`alter table "refunds" add constraint "refunds_charge_id_foreign" foreign key ("charge_id") references "charges" ("id") on update cascade;`);
    this.addSql(`alter table "refunds" add constraint "refunds_customer_id_foreign" foreign key ("customer_id") references "customers" ("id") on update cascade;`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists "refunds" cascade;`);
  }

}
