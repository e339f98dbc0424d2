import { Migration } from '@mikro-orm/migrations';

export class Migration20261122131902_ChargeDisputes extends Migration {

  override async up(): Promise<void> {
    this.addSql(`alter table "charges" add column "stripe_dispute_id" varchar(255) null, add column "dispute_status" varchar(32) null, add column "dispute_reason" varchar(64) null, add column "disputed_amount_cents" int not null default 0, add column "disputed_at" timestamptz null;`);
  }

  override async down(): Promise<void> {
    this.addSql(`alter table "charges" drop column "stripe_dispute_id", drop column "dispute_status", drop column "dispute_reason", drop column "disputed_amount_cents", drop column "disputed_at";`);
  }

}
