import { Migration } from '@mikro-orm/migrations';

export class Migration20261122000001_Initial extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create table \`audit_log\` (\`id\` text not null, \`actor_id\` text not null, \`actor_email\` text null, \`action\` text not null, \`entity_type\` text not null, \`entity_id\` text not null, \`before\` json null, \`after\` json null, \`created_at\` datetime not null, primary key (\`id\`));`);
    this.addSql(`create index \`audit_log_entity_type_entity_id_index\` on \`audit_log\` (\`entity_type\`, \`entity_id\`);`);
    this.addSql(`create index \`audit_log_created_at_index\` on \`audit_log\` (\`created_at\`);`);

    this.addSql(`create table \`customers\` (\`id\` text not null, \`user_id\` text not null, \`email\` text not null, \`name\` text null, \`roles\` json not null, \`keycloak_id\` text null, \`stripe_customer_id\` text null, \`lago_customer_id\` text null, \`created_at\` datetime not null, \`updated_at\` datetime not null, primary key (\`id\`));`);
    this.addSql(`create unique index \`customers_user_id_unique\` on \`customers\` (\`user_id\`);`);
    this.addSql(`create unique index \`customers_email_unique\` on \`customers\` (\`email\`);`);
    this.addSql(`create unique index \`customers_stripe_customer_id_unique\` on \`customers\` (\`stripe_customer_id\`);`);

    this.addSql(`create table \`daily_usage\` (\`customer_id\` text not null, \`day\` text not null, \`type\` text not null, \`quantity\` integer not null default 0, primary key (\`customer_id\`, \`day\`, \`type\`));`);

    this.addSql(`create table \`notifications\` (\`id\` text not null, \`customer_id\` text not null, \`email\` text not null, \`kind\` text not null, \`dedupe_key\` text not null, \`payload\` json not null, \`created_at\` datetime not null, \`sent_at\` datetime null, \`error\` text null, primary key (\`id\`));`);
    this.addSql(`create index \`notifications_customer_id_index\` on \`notifications\` (\`customer_id\`);`);
    this.addSql(`create unique index \`notifications_dedupe_key_unique\` on \`notifications\` (\`dedupe_key\`);`);

    this.addSql(`create table \`payment_methods\` (\`id\` text not null, \`stripe_payment_method_id\` text not null, \`customer_id\` text not null, \`type\` text not null default 'card', \`brand\` text null, \`last4\` text null, \`exp_month\` integer null, \`exp_year\` integer null, \`is_default\` integer not null default false, \`detached_at\` datetime null, \`created_at\` datetime not null, constraint \`payment_methods_customer_id_foreign\` foreign key(\`customer_id\`) references \`customers\`(\`id\`) on update cascade, primary key (\`id\`));`);
    this.addSql(`create unique index \`payment_methods_stripe_payment_method_id_unique\` on \`payment_methods\` (\`stripe_payment_method_id\`);`);
    this.addSql(`create index \`payment_methods_customer_id_index\` on \`payment_methods\` (\`customer_id\`);`);

    this.addSql(`create table \`plans\` (\`id\` text not null, \`code\` text not null, \`version\` integer not null default 1, \`is_current\` integer not null default true, \`status\` text not null default 'active', \`name\` text not null, \`display_name\` text not null, \`description\` text null, \`currency\` text not null default 'usd', \`price_monthly_cents\` integer not null, \`price_yearly_cents\` integer null, \`trial_days\` integer not null default 0, \`services\` json not null, \`features\` json not null, \`included_credits\` integer not null default 0, \`overage_per1k_cents\` integer not null default 0, \`daily_api_calls\` integer null, \`sort_order\` integer not null default 0, \`stripe_product_id\` text null, \`stripe_price_monthly_id\` text null, \`stripe_price_yearly_id\` text null, \`created_at\` datetime not null, \`updated_at\` datetime not null, primary key (\`id\`));`);
    this.addSql(`create index \`plans_code_index\` on \`plans\` (\`code\`);`);
    this.addSql(`create unique index \`plans_code_version_unique\` on \`plans\` (\`code\`, \`version\`);`);

    this.addSql(`create table \`provider_keys\` (\`id\` text not null, \`customer_id\` text not null, \`provider\` text not null, \`ciphertext\` text not null, \`nonce\` text not null, \`key_hint\` text not null, \`key_version\` integer not null default 1, \`last_tested_at\` datetime null, \`last_test_result\` text null, \`created_at\` datetime not null, \`updated_at\` datetime not null, constraint \`provider_keys_customer_id_foreign\` foreign key(\`customer_id\`) references \`customers\`(\`id\`) on update cascade, primary key (\`id\`));`);
    this.addSql(`create index \`provider_keys_customer_id_index\` on \`provider_keys\` (\`customer_id\`);`);
    this.addSql(`create unique index \`provider_keys_customer_id_provider_unique\` on \`provider_keys\` (\`customer_id\`, \`provider\`);`);

    this.addSql(`create table \`subscriptions\` (\`id\` text not null, \`customer_id\` text not null, \`plan_id\` text not null, \`tier\` text not null, \`status\` text not null default 'incomplete', \`interval\` text not null default 'month', \`amount_cents\` integer not null, \`currency\` text not null default 'usd', \`stripe_subscription_id\` text null, \`stripe_subscription_item_id\` text null, \`stripe_price_id\` text null, \`current_period_start\` datetime null, \`current_period_end\` datetime null, \`trial_start\` datetime null, \`trial_end\` datetime null, \`cancel_at_period_end\` integer not null default false, \`canceled_at\` datetime null, \`ended_at\` datetime null, \`paused_at\` datetime null, \`stripe_updated_at\` datetime null, \`created_at\` datetime not null, \`updated_at\` datetime not null, constraint \`subscriptions_customer_id_foreign\` foreign key(\`customer_id\`) references \`customers\`(\`id\`) on update cascade, constraint \`subscriptions_plan_id_foreign\` foreign key(\`plan_id\`) references \`plans\`(\`id\`) on update cascade, primary key (\`id\`));`);
    this.addSql(`create index \`subscriptions_customer_id_index\` on \`subscriptions\` (\`customer_id\`);`);
    this.addSql(`create index \`subscriptions_plan_id_index\` on \`subscriptions\` (\`plan_id\`);`);
    this.addSql(`create unique index \`subscriptions_stripe_subscription_id_unique\` on \`subscriptions\` (\`stripe_subscription_id\`);`);
    this.addSql(`create index \`subscriptions_status_index\` on \`subscriptions\` (\`status\`);`);
    this.addSql(`create index \`subscriptions_tier_index\` on \`subscriptions\` (\`tier\`);`);

    this.addSql(`create table \`invoices\` (\`id\` text not null, \`stripe_invoice_id\` text not null, \`customer_id\` text not null, \`subscription_id\` text null, \`number\` text null, \`status\` text not null, \`currency\` text not null default 'usd', \`subtotal_cents\` integer not null default 0, \`total_cents\` integer not null default 0, \`amount_due_cents\` integer not null default 0, \`amount_paid_cents\` integer not null default 0, \`billing_reason\` text null, \`attempt_count\` integer not null default 0, \`period_start\` datetime null, \`period_end\` datetime null, \`due_date\` datetime null, \`paid_at\` datetime null, \`hosted_invoice_url\` text null, \`invoice_pdf\` text null, \`created_at\` datetime not null, \`updated_at\` datetime not null, constraint \`invoices_customer_id_foreign\` foreign key(\`customer_id\`) references \`customers\`(\`id\`) on update cascade, constraint \`invoices_subscription_id_foreign\` foreign key(\`subscription_id\`) references \`subscriptions\`(\`id\`) on delete set null on update cascade, primary key (\`id\`));`);
    this.addSql(`create unique index \`invoices_stripe_invoice_id_unique\` on \`invoices\` (\`stripe_invoice_id\`);`);
    this.addSql(`create index \`invoices_customer_id_index\` on \`invoices\` (\`customer_id\`);`);
    this.addSql(`create index \`invoices_subscription_id_index\` on \`invoices\` (\`subscription_id\`);`);
    this.addSql(`create index \`invoices_customer_id_created_at_index\` on \`invoices\` (\`customer_id\`, \`created_at\`);`);
    this.addSql(`create index \`invoices_status_index\` on \`invoices\` (\`status\`);`);

    this.addSql(`create table \`charges\` (\`id\` text not null, \`stripe_charge_id\` text not null, \`customer_id\` text not null, \`invoice_id\` text null, \`amount_cents\` integer not null, \`amount_refunded_cents\` integer not null default 0, \`currency\` text not null default 'usd', \`status\` text not null, \`paid\` integer not null default false, \`refunded\` integer not null default false, \`description\` text null, \`failure_code\` text null, \`created_at\` datetime not null, constraint \`charges_customer_id_foreign\` foreign key(\`customer_id\`) references \`customers\`(\`id\`) on update cascade, constraint \`charges_invoice_id_foreign\` foreign key(\`invoice_id\`) references \`invoices\`(\`id\`) on delete set null on update cascade, primary key (\`id\`));`);
    this.addSql(`create unique index \`charges_stripe_charge_id_unique\` on \`charges\` (\`stripe_charge_id\`);`);
    this.addSql(`create index \`charges_customer_id_index\` on \`charges\` (\`customer_id\`);`);
    this.addSql(`create index \`charges_invoice_id_index\` on \`charges\` (\`invoice_id\`);`);
    this.addSql(`create index \`charges_created_at_index\` on \`charges\` (\`created_at\`);`);

    this.addSql(`create table \`usage_events\` (\`id\` text not null, \`customer_id\` text not null, \`event_id\` text not null, \`type\` text not null, \`quantity\` integer not null, \`occurred_at\` datetime not null, \`received_at\` datetime not null, \`metadata\` json not null, \`byok\` integer not null default false, \`rollup_id\` text null, constraint \`usage_events_customer_id_foreign\` foreign key(\`customer_id\`) references \`customers\`(\`id\`) on update cascade, primary key (\`id\`));`);
    this.addSql(`create index \`usage_events_customer_id_index\` on \`usage_events\` (\`customer_id\`);`);
    this.addSql(`create index \`usage_events_rollup_id_occurred_at_index\` on \`usage_events\` (\`rollup_id\`, \`occurred_at\`);`);
    this.addSql(`create index \`usage_events_customer_id_occurred_at_index\` on \`usage_events\` (\`customer_id\`, \`occurred_at\`);`);
    this.addSql(`create unique index \`usage_events_customer_id_event_id_unique\` on \`usage_events\` (\`customer_id\`, \`event_id\`);`);

    this.addSql(`create table \`usage_rollups\` (\`id\` text not null, \`customer_id\` text not null, \`type\` text not null, \`window_start\` datetime not null, \`window_end\` datetime not null, \`quantity\` integer not null, \`identifier\` text not null, \`stripe_reported_at\` datetime null, \`lago_reported_at\` datetime null, \`created_at\` datetime not null, constraint \`usage_rollups_customer_id_foreign\` foreign key(\`customer_id\`) references \`customers\`(\`id\`) on update cascade, primary key (\`id\`));`);
    this.addSql(`create index \`usage_rollups_customer_id_index\` on \`usage_rollups\` (\`customer_id\`);`);
    this.addSql(`create unique index \`usage_rollups_identifier_unique\` on \`usage_rollups\` (\`identifier\`);`);
    this.addSql(`create index \`usage_rollups_customer_id_window_start_index\` on \`usage_rollups\` (\`customer_id\`, \`window_start\`);`);

    this.addSql(`create table \`webhook_events\` (\`id\` text not null, \`type\` text not null, \`object_id\` text null, \`stripe_created_at\` datetime not null, \`received_at\` datetime not null, \`workflow_id\` text null, primary key (\`id\`));`);
  }

}
