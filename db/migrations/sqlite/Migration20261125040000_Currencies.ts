import { Migration } from '@mikro-orm/migrations';

/**
 * Prices in several currencies (issue 31): a plan's and a credit pack's amounts beside their base currency,
 * and the currency a customer's first checkout fixes.
 */
export class Migration20261125040000_Currencies extends Migration {

  override async up(): Promise<void> {
    this.addSql(`alter table \`credit_packs\` add column \`currency_prices\` json not null default '{}';`);

    this.addSql(`alter table \`customers\` add column \`currency\` text null;`);

    this.addSql(`alter table \`plans\` add column \`currency_prices\` json not null default '{}';`);
  }

}
