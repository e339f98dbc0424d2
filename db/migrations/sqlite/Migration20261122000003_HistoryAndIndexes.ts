import { Migration } from '@mikro-orm/migrations';

export class Migration20261122000003_HistoryAndIndexes extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create table \`subscription_changes\` (\`id\` text not null, \`subscription_id\` text not null, \`customer_id\` text not null, \`at\` datetime not null, \`old_amount_cents\` integer null, \`new_amount_cents\` integer not null, \`old_interval\` text null, \`new_interval\` text not null, \`old_status\` text null, \`new_status\` text not null, \`old_tier\` text null, \`new_tier\` text not null, constraint \`subscription_changes_subscription_id_foreign\` foreign key(\`subscription_id\`) references \`subscriptions\`(\`id\`) on update cascade, primary key (\`id\`));`);
    this.addSql(`create index \`subscription_changes_subscription_id_index\` on \`subscription_changes\` (\`subscription_id\`);`);
    this.addSql(`create index \`subscription_changes_at_index\` on \`subscription_changes\` (\`at\`);`);
    this.addSql(`create index \`subscription_changes_customer_id_at_index\` on \`subscription_changes\` (\`customer_id\`, \`at\`);`);

    this.addSql(`create index \`customers_created_at_index\` on \`customers\` (\`created_at\`);`);

    this.addSql(`alter table \`provider_keys\` add column \`label\` text null;`);

    this.addSql(`alter table \`subscriptions\` add column \`arr_cents\` integer not null default 0;`);
    this.addSql(`create index \`subscriptions_created_at_index\` on \`subscriptions\` (\`created_at\`);`);

    this.addSql(`create index \`invoices_paid_at_index\` on \`invoices\` (\`paid_at\`);`);
  }

}
