import { Migration } from '@mikro-orm/migrations';

export class Migration20261122000003_HistoryAndIndexes extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create table \`subscription_changes\` (\`id\` text not null, \`subscription_id\` text not null, \`customer_id\` text not null, \`currency\` text not null, \`at\` datetime not null, \`old_amount_cents\` integer null, \`new_amount_cents\` integer not null, \`old_interval\` text null, \`new_interval\` text not null, \`old_status\` text null, \`new_status\` text not null, \`old_tier\` text null, \`new_tier\` text not null, constraint \`subscription_changes_subscription_id_foreign\` foreign key(\`subscription_id\`) references \`subscriptions\`(\`id\`) on update cascade, primary key (\`id\`));`);
    this.addSql(`create index \`subscription_changes_subscription_id_index\` on \`subscription_changes\` (\`subscription_id\`);`);
    this.addSql(`create index \`subscription_changes_revenue_index\` on \`subscription_changes\` (\`at\`, \`currency\`, \`customer_id\`, \`subscription_id\`, \`old_status\`, \`new_status\`, \`old_interval\`, \`new_interval\`, \`old_amount_cents\`, \`new_amount_cents\`);`);
    this.addSql(`create index \`subscription_changes_customer_id_at_index\` on \`subscription_changes\` (\`customer_id\`, \`at\`);`);

    this.addSql(`create table \`usage_types\` (\`code\` text not null, \`description\` text null, \`created_by\` text not null, \`created_at\` datetime not null, primary key (\`code\`));`);

    this.addSql(`create index \`customers_created_at_index\` on \`customers\` (\`created_at\`);`);

    this.addSql(`alter table \`provider_keys\` add column \`label\` text null;`);

    this.addSql(`drop index \`subscriptions_status_index\`;`);

    this.addSql(`alter table \`subscriptions\` add column \`arr_cents\` integer not null default 0;`);
    this.addSql(`create index \`subscriptions_status_currency_customer_id_arr_cents_index\` on \`subscriptions\` (\`status\`, \`currency\`, \`customer_id\`, \`arr_cents\`);`);
    this.addSql(`create index \`subscriptions_created_at_index\` on \`subscriptions\` (\`created_at\`);`);

    this.addSql(`create index \`invoices_paid_at_currency_amount_paid_cents_index\` on \`invoices\` (\`paid_at\`, \`currency\`, \`amount_paid_cents\`);`);

    this.addSql(`alter table \`webhook_events\` add column \`payload\` text null;`);
    this.addSql(`alter table \`webhook_events\` add column \`forwarded_at\` datetime null;`);
    this.addSql(`create index \`webhook_events_forwarded_at_received_at_index\` on \`webhook_events\` (\`forwarded_at\`, \`received_at\`);`);
    // Subscriptions mirrored before this column existed: their ARR from what they pay now.
    this.addSql(`update subscriptions set arr_cents = case when status in ('active', 'past_due') then case when "interval" = 'year' then amount_cents else amount_cents * 12 end else 0 end;`);
  }

}
