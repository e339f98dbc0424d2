import { Migration } from '@mikro-orm/migrations';

/**
 * Coupons and promotion codes (issue 31), their redemptions, the discount each subscription carries and
 * what discounts took off each invoice.
 */
export class Migration20261125031000_Coupons extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create table "coupon_redemptions" ("id" varchar(40) not null, "coupon_id" varchar(40) not null, "promotion_code_id" varchar(40) null, "customer_id" varchar(40) not null, "subscription_id" varchar(40) not null, "redeemed_at" timestamptz not null, constraint "coupon_redemptions_pkey" primary key ("id"));`);
    this.addSql(`create index "coupon_redemptions_coupon_id_index" on "coupon_redemptions" ("coupon_id");`);
    this.addSql(`create index "coupon_redemptions_promotion_code_id_index" on "coupon_redemptions" ("promotion_code_id");`);
    this.addSql(`alter table "coupon_redemptions" add constraint "coupon_redemptions_subscription_id_coupon_id_unique" unique ("subscription_id", "coupon_id");`);

    this.addSql(`create table "coupons" ("id" varchar(40) not null, "name" varchar(200) not null, "percent_off_bp" int null, "amount_off" jsonb null, "duration" varchar(16) not null, "duration_in_months" int null, "plans" jsonb null, "max_redemptions" int null, "redeem_by" timestamptz null, "active" boolean not null default true, "stripe_coupon_id" varchar(255) null, "created_at" timestamptz not null, "updated_at" timestamptz not null, constraint "coupons_pkey" primary key ("id"));`);

    this.addSql(`create table "promotion_codes" ("id" varchar(40) not null, "code" varchar(40) not null, "coupon_id" varchar(40) not null, "first_time_only" boolean not null default false, "minimum_amount_cents" int null, "minimum_currency" varchar(3) null, "expires_at" timestamptz null, "max_redemptions" int null, "active" boolean not null default true, "stripe_promotion_code_id" varchar(255) null, "created_at" timestamptz not null, constraint "promotion_codes_pkey" primary key ("id"));`);
    this.addSql(`alter table "promotion_codes" add constraint "promotion_codes_code_unique" unique ("code");`);
    this.addSql(`create index "promotion_codes_coupon_id_index" on "promotion_codes" ("coupon_id");`);

    this.addSql(`alter table "subscriptions" add column "discount" jsonb null;`);

    this.addSql(`alter table "invoices" add column "discount_cents" int not null default 0;`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists "coupon_redemptions" cascade;`);

    this.addSql(`drop table if exists "coupons" cascade;`);

    this.addSql(`drop table if exists "promotion_codes" cascade;`);

    this.addSql(`alter table "subscriptions" drop column "discount";`);

    this.addSql(`alter table "invoices" drop column "discount_cents";`);
  }

}
