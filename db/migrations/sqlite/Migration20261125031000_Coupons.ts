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
    // The invoice list's update trigger compares every column of invoices (see InvoiceListVersion): the new
    // one too, or a discount mirrored later would not move the customer's invoice list version.
    const columns =
      'id, stripe_invoice_id, customer_id, subscription_id, number, status, currency, subtotal_cents, total_cents, amount_due_cents, amount_paid_cents, billing_reason, attempt_count, period_start, period_end, due_date, paid_at, hosted_invoice_url, invoice_pdf, created_at, updated_at, discount_cents';
    const row = (side: 'old' | 'new') => `(${columns.split(', ').map((c) => `${side}.${c}`).join(', ')})`;
    const bump = (side: 'old' | 'new') =>
      `update customers set invoice_list_version = invoice_list_version + 1 where id = ${side}.customer_id;`;
    this.addSql('drop trigger if exists `invoices_invoice_list_update`;');
    this.addSql(
      `create trigger invoices_invoice_list_update after update on invoices when ${row('old')} is not ${row('new')} begin ${bump('old')} ${bump('new')} end;`,
    );
  }

}
