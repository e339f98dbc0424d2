import { Migration } from '@mikro-orm/migrations';

export class Migration20261122000004_UsagePrices extends Migration {

  override async up(): Promise<void> {
    this.addSql(`alter table \`plans\` add column \`stripe_usage_price_monthly_id\` text null;`);
    this.addSql(`alter table \`plans\` add column \`stripe_usage_price_yearly_id\` text null;`);
  }

}
