import { Migration } from '@mikro-orm/migrations';

/**
 * Recurring revenue net of discounts (issue 31): what each subscription recurs at after a recurring
 * coupon, which arr_cents annualizes and the change history records.
 */
export class Migration20261125060000_NetRecurring extends Migration {

  override async up(): Promise<void> {
    this.addSql(`alter table "subscriptions" add column "net_amount_cents" int null;`);
  }

  override async down(): Promise<void> {
    this.addSql(`alter table "subscriptions" drop column "net_amount_cents";`);
  }

}
