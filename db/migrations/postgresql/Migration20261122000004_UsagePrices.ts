import { Migration } from '@mikro-orm/migrations';

export class Migration20261122000004_UsagePrices extends Migration {

  override async up(): Promise<void> {
    this.addSql(`alter table "plans" add column "stripe_usage_price_monthly_id" varchar(255) null, add column "stripe_usage_price_yearly_id" varchar(255) null;`);
  }

  override async down(): Promise<void> {
    this.addSql(`alter table "plans" drop column "stripe_usage_price_monthly_id", drop column "stripe_usage_price_yearly_id";`);
  }

}
