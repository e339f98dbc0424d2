import { Migration } from '@mikro-orm/migrations';

/**
 * Prepaid credits, spend caps and alerts (issue 29): credit packs, the ledger of grants and movements (a
 * balance is never stored, only summed), each customer's settings, one row per auto top-up crossing, the
 * outbox of business events, and on usage_events the units prepaid credits covered.
 */
export class Migration20261124005238_Credits extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create table \`billing_events\` (\`id\` text not null, \`customer_id\` text null, \`type\` text not null, \`payload\` json not null, \`dedupe_key\` text not null, \`created_at\` datetime not null, \`published_at\` datetime null, primary key (\`id\`));`);
    this.addSql(`create unique index \`billing_events_dedupe_key_unique\` on \`billing_events\` (\`dedupe_key\`);`);
    this.addSql(`create index \`billing_events_published_at_created_at_index\` on \`billing_events\` (\`published_at\`, \`created_at\`);`);
    this.addSql(`create index \`billing_events_customer_id_created_at_index\` on \`billing_events\` (\`customer_id\`, \`created_at\`);`);

    this.addSql(`create table \`credit_grants\` (\`id\` text not null, \`customer_id\` text not null, \`amount\` integer not null, \`source\` text not null, \`priority\` integer not null default 0, \`effective_at\` datetime not null, \`expires_at\` datetime null, \`source_key\` text not null, \`pack_id\` text null, \`stripe_object_id\` text null, \`reason\` text null, \`actor\` text null, \`created_at\` datetime not null, primary key (\`id\`));`);
    this.addSql(`create unique index \`credit_grants_source_key_unique\` on \`credit_grants\` (\`source_key\`);`);
    this.addSql(`create index \`credit_grants_customer_id_created_at_index\` on \`credit_grants\` (\`customer_id\`, \`created_at\`);`);
    this.addSql(`create index \`credit_grants_stripe_object_id_index\` on \`credit_grants\` (\`stripe_object_id\`);`);

    this.addSql(`create table \`credit_movements\` (\`id\` text not null, \`customer_id\` text not null, \`grant_id\` text not null, \`kind\` text not null, \`amount\` integer not null, \`at\` datetime not null, \`period_start\` datetime null, \`source_key\` text null, \`reason\` text null, \`actor\` text null, \`created_at\` datetime not null, primary key (\`id\`));`);
    this.addSql(`create unique index \`credit_movements_source_key_unique\` on \`credit_movements\` (\`source_key\`);`);
    this.addSql(`create index \`credit_movements_customer_id_at_index\` on \`credit_movements\` (\`customer_id\`, \`at\`);`);
    this.addSql(`create index \`credit_movements_grant_id_index\` on \`credit_movements\` (\`grant_id\`);`);
    this.addSql(`create index \`credit_movements_customer_id_period_start_index\` on \`credit_movements\` (\`customer_id\`, \`period_start\`);`);

    this.addSql(`create table \`credit_packs\` (\`id\` text not null, \`code\` text not null, \`name\` text not null, \`credits\` integer not null, \`price_cents\` integer not null, \`currency\` text not null default 'usd', \`plan_codes\` json not null, \`expires_after_days\` integer null, \`active\` integer not null default true, \`sort_order\` integer not null default 0, \`created_at\` datetime not null, \`updated_at\` datetime not null, primary key (\`id\`));`);
    this.addSql(`create unique index \`credit_packs_code_unique\` on \`credit_packs\` (\`code\`);`);

    this.addSql(`create table \`credit_settings\` (\`customer_id\` text not null, \`auto_top_up_enabled\` integer not null default false, \`auto_top_up_threshold\` integer null, \`auto_top_up_pack_id\` text null, \`auto_top_up_note\` text null, \`spend_cap_cents\` integer null, \`spend_cap_mode\` text not null default 'block', \`spend_cap_max_cents\` integer null, \`alert_included_percent\` integer null, \`alert_balance_below\` integer null, \`alert_overage_cents\` integer null, \`updated_at\` datetime not null, primary key (\`customer_id\`));`);

    this.addSql(`create table \`credit_top_ups\` (\`id\` text not null, \`customer_id\` text not null, \`crossing_key\` text not null, \`pack_id\` text not null, \`threshold\` integer not null, \`balance_at_crossing\` integer not null, \`status\` text not null default 'pending', \`attempts\` integer not null default 0, \`payment_intent_id\` text null, \`grant_id\` text null, \`error\` text null, \`created_at\` datetime not null, \`updated_at\` datetime not null, primary key (\`id\`));`);
    this.addSql(`create unique index \`credit_top_ups_crossing_key_unique\` on \`credit_top_ups\` (\`crossing_key\`);`);
    this.addSql(`create index \`credit_top_ups_status_created_at_index\` on \`credit_top_ups\` (\`status\`, \`created_at\`);`);
    this.addSql(`create index \`credit_top_ups_customer_id_created_at_index\` on \`credit_top_ups\` (\`customer_id\`, \`created_at\`);`);

    this.addSql(`alter table \`plans\` add column \`prepaid_only\` integer not null default false;`);
    this.addSql(`alter table \`plans\` add column \`alert_defaults\` json not null default '{}';`);

    this.addSql(`alter table \`usage_events\` add column \`prepaid\` integer not null default 0;`);
  }

}
