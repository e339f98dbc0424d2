import { Migration } from '@mikro-orm/migrations';

export class Migration20261122110709_ChargeMirror extends Migration {

  override async up(): Promise<void> {
    this.addSql(`alter table "charges" add column "stripe_invoice_id" varchar(255) null, add column "card_brand" varchar(32) null, add column "card_last4" varchar(4) null;`);
    this.addSql(`create index "charges_stripe_invoice_id_index" on "charges" ("stripe_invoice_id");`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop index "charges_stripe_invoice_id_index";`);
    this.addSql(`alter table "charges" drop column "stripe_invoice_id", drop column "card_brand", drop column "card_last4";`);
  }

}
