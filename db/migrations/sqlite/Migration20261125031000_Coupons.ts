import { Migration } from '@mikro-orm/migrations';

/**
 * Coupons and promotion codes (issue 31), their redemptions, the discount each subscription carries and
 * what discounts took off each invoice.
 */
export class Migration20261125031000_Coupons extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create table \`coupon_redemptions\` (\`id\` text not null, \`coupon_id\` text not null, \`promotion_code_id\` text null, \`customer_id\` text not null, \`subscription_id\` text not null, \`redeemed_at\` datetime not null, primary key (\`id\`));`);
    this.addSql(`create index \`coupon_redemptions_coupon_id_index\` on \`coupon_redemptions\` (\`coupon_id\`);`);
    this.addSql(`create index \`coupon_redemptions_promotion_code_id_index\` on \`coupon_redemptions\` (\`promotion_code_id\`);`);
    this.addSql(`create unique index \`coupon_redemptions_subscription_id_coupon_id_unique\` on \`coupon_redemptions\` (\`subscription_id\`, \`coupon_id\`);`);

    this.addSql(`create table \`coupons\` (\`id\` text not null, \`name\` text not null, \`percent_off_bp\` integer null, \`amount_off\` json null, \`duration\` text not null, \`duration_in_months\` integer null, \`plans\` json null, \`max_redemptions\` integer null, \`redeem_by\` datetime null, \`active\` integer not null default true, \`stripe_coupon_id\` text null, \`created_at\` datetime not null, \`updated_at\` datetime not null, primary key (\`id\`));`);

    this.addSql(`create table \`promotion_codes\` (\`id\` text not null, \`code\` text not null, \`coupon_id\` text not null, \`first_time_only\` integer not null default false, \`minimum_amount_cents\` integer null, \`minimum_currency\` text null, \`expires_at\` datetime null, \`max_redemptions\` integer null, \`active\` integer not null default true, \`stripe_promotion_code_id\` text null, \`created_at\` datetime not null, primary key (\`id\`));`);
    this.addSql(`create unique index \`promotion_codes_code_unique\` on \`promotion_codes\` (\`code\`);`);
    this.addSql(`create index \`promotion_codes_coupon_id_index\` on \`promotion_codes\` (\`coupon_id\`);`);

    this.addSql(`alter table \`subscriptions\` add column \`discount\` json null;`);

    this.addSql(`alter table \`invoices\` add column \`discount_cents\` integer not null default 0;`);
  }

}
