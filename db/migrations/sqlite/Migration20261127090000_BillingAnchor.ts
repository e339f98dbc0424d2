import { Migration } from '@mikro-orm/migrations';

/** Calendar billing: a plan's default anchor, and the one each subscription was started with. */
export class Migration20261127090000_BillingAnchor extends Migration {

  override async up(): Promise<void> {
    this.addSql(`alter table \`plans\` add column \`billing_anchor\` text not null default 'anniversary';`);
    this.addSql(`alter table \`subscriptions\` add column \`billing_anchor\` text not null default 'anniversary';`);
  }

}
