import { Migration } from '@mikro-orm/migrations';

export class Migration20261122090040_PendingChange extends Migration {

  override async up(): Promise<void> {
    this.addSql(`alter table "subscriptions" add column "pending_tier" varchar(255) null, add column "pending_interval" varchar(8) null, add column "pending_amount_cents" int null, add column "pending_effective_at" timestamptz null;`);
  }

  override async down(): Promise<void> {
    this.addSql(`alter table "subscriptions" drop column "pending_tier", drop column "pending_interval", drop column "pending_amount_cents", drop column "pending_effective_at";`);
  }

}
